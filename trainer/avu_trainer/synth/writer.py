"""Writing AVU-Synth clips: MP4 (H.264 + AAC) with ground-truth JSON, or feature shards.

Feature shards (for training) live in `<out>/shard-NNNNN/`:
  frames.npy        uint8   [n, 8, 224, 224, 3]  the rendered frames at t_i (RGB)
  spectrograms.npy  float32 [n, 8, 1, 128, 204]  preprocess.waveform_to_fbank of the waveform
  clips.jsonl       one ground-truth record per clip (SynthClip.ground_truth())
Frames are stored as uint8 (a quarter of the size); `load_feature_shard` returns them
CLIP-normalised as f32 [n, 8, 3, 224, 224], exactly preprocess.frames_to_tensor.
A shard directory appears only once complete (written under a temporary name, then renamed), so
an interrupted run resumes by skipping the shards that exist.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from .. import preprocess
from . import make_clip
from .audio import SAMPLE_RATE_HZ, render_audio
from .render import FPS, SIZE_PX, render_frame
from .world import LEVELS, sample_world

NOISE_FRACTION = 0.10
SILENCE_FRACTION = 0.05


def audio_variant(seed: int, noise_fraction: float, silence_fraction: float) -> str:
    u = np.random.default_rng([seed, 2147483647]).random()
    if u < noise_fraction:
        return "noise"
    return "silence" if u < noise_fraction + silence_fraction else "real"


# ---------------------------------------------------------------------------------------- MP4

def write_mp4(seed: int, out_dir: str | Path, level: str | None = None, audio: str = "real",
              name: str | None = None, crf: int = 26, audio_kbps: int = 64) -> Path:
    """Write `<name>.mp4` (H.264 yuv420p 224x224 at 10 fps + AAC mono 16 kHz) and `<name>.json`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    clip = make_clip(seed, level, audio)
    world = sample_world(seed, level, audio)
    name = name or f"synth-{seed:08d}"
    mp4 = out_dir / f"{name}.mp4"
    n_frames = int(round(world.duration_s * FPS))
    video = np.stack([render_frame(world, k / FPS) for k in range(n_frames)])
    wave = render_audio(world)
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg is not on PATH; it is needed to write MP4 clips")
    with tempfile.TemporaryDirectory(prefix="avu-synth-") as tmp:
        raw_audio = Path(tmp) / "audio.f32"
        raw_audio.write_bytes(wave.astype("<f4").tobytes())
        tmp_mp4 = Path(tmp) / "clip.mp4"
        cmd = [ffmpeg, "-y", "-v", "error", "-threads", "1",
               "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{SIZE_PX}x{SIZE_PX}",
               "-r", str(FPS), "-i", "pipe:0",
               "-f", "f32le", "-ar", str(SAMPLE_RATE_HZ), "-ac", "1", "-i", str(raw_audio),
               "-c:v", "libx264", "-preset", "medium", "-crf", str(crf), "-pix_fmt", "yuv420p",
               "-g", str(2 * FPS), "-x264-params", "threads=1",
               "-c:a", "aac", "-b:a", f"{audio_kbps}k", "-ar", str(SAMPLE_RATE_HZ),
               "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
               "-flags:a", "+bitexact", "-movflags", "+faststart", str(tmp_mp4)]
        r = subprocess.run(cmd, input=video.tobytes(), capture_output=True)
        if r.returncode != 0:
            raise RuntimeError(f"ffmpeg failed writing {mp4}: {r.stderr.decode(errors='replace')[-400:]}")
        shutil.move(str(tmp_mp4), mp4)
    gt = clip.ground_truth()
    gt["clip"] = mp4.name
    (out_dir / f"{name}.json").write_text(json.dumps(gt, indent=1) + "\n")
    return mp4


def _mp4_job(args: tuple) -> str:
    seed, out_dir, level, audio = args
    name = f"synth-{seed:08d}"
    if (Path(out_dir) / f"{name}.json").exists() and (Path(out_dir) / f"{name}.mp4").exists():
        return name
    write_mp4(seed, out_dir, level, audio)
    return name


def speech_variant(seed: int, speech_fraction: float) -> str:
    return "speech" if np.random.default_rng([seed, 314159]).random() < speech_fraction else "real"


def write_mp4_clips(out_dir: str | Path, count: int, seed: int, workers: int = 2,
                    level: str | None = None, balanced: bool = False,
                    speech_fraction: float = 0.0) -> list[str]:
    """`count` clips with seeds seed .. seed + count - 1; existing ones are kept (resumable).
    `balanced` cycles the levels high, medium, low by clip index instead of drawing them.
    `speech_fraction` of the clips get a voice (espeak-ng) instead of a shape's sound: level low,
    for demos; the training features never contain speech."""
    if speech_fraction > 0 and shutil.which("espeak-ng") is None:
        raise RuntimeError("speech clips need espeak-ng on PATH (apt install espeak-ng)")
    jobs = [(seed + i, str(out_dir), LEVELS[i % 3] if balanced else level,
             speech_variant(seed + i, speech_fraction)) for i in range(count)]
    return _run_pool(_mp4_job, jobs, workers, "mp4")


# ----------------------------------------------------------------------------- feature shards

def _shard_job(args: tuple) -> str:
    out_dir, index, seeds, noise_fraction, silence_fraction, level = args
    final = Path(out_dir) / f"shard-{index:05d}"
    if final.exists():
        return final.name
    tmp = Path(out_dir) / f".tmp-shard-{index:05d}-{os.getpid()}"
    tmp.mkdir(parents=True, exist_ok=True)
    n = len(seeds)
    frames = np.lib.format.open_memmap(tmp / "frames.npy", "w+", np.uint8, (n, 8, SIZE_PX, SIZE_PX, 3))
    specs = np.lib.format.open_memmap(tmp / "spectrograms.npy", "w+", np.float32, (n, 8, 1, 128, 204))
    with open(tmp / "clips.jsonl", "w") as f:
        for k, s in enumerate(seeds):
            clip = make_clip(s, level, audio_variant(s, noise_fraction, silence_fraction))
            frames[k] = clip.frames
            specs[k] = preprocess.waveform_to_fbank(clip.waveform, clip.duration_s).numpy()
            f.write(json.dumps(clip.ground_truth()) + "\n")
    frames.flush()
    specs.flush()
    del frames, specs
    os.rename(tmp, final)
    return final.name


def write_feature_shards(out_dir: str | Path, count: int, seed: int, shard_size: int = 256,
                         workers: int = 2, noise_fraction: float = NOISE_FRACTION,
                         silence_fraction: float = SILENCE_FRACTION,
                         level: str | None = None) -> list[str]:
    """Training features for clips seed .. seed + count - 1, in shards of `shard_size`.

    A fraction of clips get white noise or silence instead of their sound (see audio_variant);
    their audio answers say so, which teaches the model to listen.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = []
    for index, lo in enumerate(range(0, count, shard_size)):
        seeds = list(range(seed + lo, seed + min(lo + shard_size, count)))
        jobs.append((str(out_dir), index, seeds, noise_fraction, silence_fraction, level))
    names = _run_pool(_shard_job, jobs, workers, "shards")
    (out_dir / "index.json").write_text(json.dumps(
        {"count": count, "seed": seed, "shard_size": shard_size, "shards": names,
         "noise_fraction": noise_fraction, "silence_fraction": silence_fraction,
         "frames": "uint8 [n,8,224,224,3] RGB", "spectrograms": "float32 [n,8,1,128,204]"},
        indent=1) + "\n")
    return names


def load_feature_shard(path: str | Path, mmap: bool = True) -> dict:
    """-> {'frames': f32 [n,8,3,224,224] CLIP-normalised (torch), 'frames_u8': the raw array,
    'spectrograms': f32 [n,8,1,128,204] (torch), 'records': [ground truth dicts]}."""
    import torch

    path = Path(path)
    frames_u8 = np.load(path / "frames.npy", mmap_mode="r" if mmap else None)
    specs = np.load(path / "spectrograms.npy", mmap_mode="r" if mmap else None)
    records = [json.loads(line) for line in (path / "clips.jsonl").read_text().splitlines() if line]
    frames = torch.stack([preprocess.frames_to_tensor(np.asarray(f)) for f in frames_u8]) \
        if len(frames_u8) else torch.zeros(0, 8, 3, SIZE_PX, SIZE_PX)
    return {"frames": frames, "frames_u8": frames_u8,
            "spectrograms": torch.from_numpy(np.array(specs)), "records": records}


# ------------------------------------------------------------------------------------- pool

def _run_pool(fn, jobs: list, workers: int, what: str) -> list[str]:
    t0 = time.time()
    out: list[str] = []
    if workers <= 1:
        it = map(fn, jobs)
        pool = None
    else:
        pool = get_context("spawn").Pool(workers, initializer=_worker_init)
        it = pool.imap(fn, jobs)
    try:
        for k, name in enumerate(it, 1):
            out.append(name)
            el = time.time() - t0
            if k == len(jobs) or k % max(1, len(jobs) // 20) == 0:
                print(json.dumps({"what": what, "done": k, "total": len(jobs),
                                  "elapsed_s": round(el, 1),
                                  "eta_s": round(el / k * (len(jobs) - k), 1)}),
                      file=sys.stderr, flush=True)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return out


def _worker_init() -> None:
    import torch

    torch.set_num_threads(1)
