"""Inference-side preprocessing in Python: the paper's frame and audio recipes (DESIGN.md).

The TypeScript media pipeline implements the same recipes; these functions are the reference.
- frames: 8 frames at t_i = (i + 0.5) * duration / 8; short side to 224 (bicubic), centre crop,
  /255, CLIP mean/std  ->  f32 [8, 3, 224, 224]
- audio: 16 kHz mono; 8 segments of 2.0 s centred on t_i, zero-padded outside the clip; per
  segment: subtract the mean, Kaldi fbank (ImageBind's settings), 128 x T, pad/crop to 204,
  (x + 4.268) / 9.138  ->  f32 [8, 1, 128, 204]
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import torch
import torchaudio
from PIL import Image

FRAME_COUNT = 8
FRAME_SIZE = 224
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
SAMPLE_RATE_HZ = 16000
SEGMENT_S = 2.0
MEL_BINS = 128
TARGET_FRAMES = 204
NORM_MEAN = -4.268
NORM_STD = 9.138


class MediaDecodeError(RuntimeError):
    """ffmpeg/ffprobe could not read a clip."""


def frame_times(duration_s: float, count: int = FRAME_COUNT) -> list[float]:
    return [(i + 0.5) * duration_s / count for i in range(count)]


def _resize_crop(frame: np.ndarray) -> np.ndarray:
    # torchvision's Resize(224) + CenterCrop(224): the longer side is truncated, crop offsets are
    # rounded half to even (Python's round); src/media/frames.ts plans the same sizes
    h, w = frame.shape[:2]
    if min(h, w) != FRAME_SIZE:
        nw, nh = (FRAME_SIZE, FRAME_SIZE * h // w) if w <= h else (FRAME_SIZE * w // h, FRAME_SIZE)
        frame = np.asarray(Image.fromarray(frame).resize((nw, nh), Image.BICUBIC))
        h, w = nh, nw
    top, left = round((h - FRAME_SIZE) / 2), round((w - FRAME_SIZE) / 2)
    return frame[top:top + FRAME_SIZE, left:left + FRAME_SIZE]


def frames_to_tensor(frames: np.ndarray) -> torch.Tensor:
    """uint8 [8, H, W, 3] -> f32 [8, 3, 224, 224], CLIP-normalised."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"expected uint8 [T, H, W, 3] frames, got {frames.dtype} {frames.shape}")
    x = np.stack([_resize_crop(f) for f in frames]).astype(np.float32) / 255.0  # (T, 224, 224, 3)
    t = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()  # (T, 3, 224, 224)
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    return (t - mean) / std


def segment_bounds(duration_s: float) -> list[tuple[float, float]]:
    return [(t - SEGMENT_S / 2, t + SEGMENT_S / 2) for t in frame_times(duration_s)]


WHITE_NOISE_STD = 0.1     # the audio-reliance test's white noise (eval.py), also stage 2b's noise rows (train.py)


def white_noise(n_samples: int, seed: int) -> np.ndarray:
    """float32 white noise of WHITE_NOISE_STD, clipped to [-1, 1]."""
    return np.clip(np.random.default_rng(seed).normal(0, WHITE_NOISE_STD, n_samples), -1, 1).astype(np.float32)


def waveform_to_fbank(wave: np.ndarray | torch.Tensor, duration_s: float) -> torch.Tensor:
    """Mono 16 kHz waveform -> f32 [8, 1, 128, 204] normalised log-mel segments."""
    w = torch.as_tensor(np.asarray(wave, dtype=np.float32)).flatten()
    seg_n = int(round(SEGMENT_S * SAMPLE_RATE_HZ))
    out = []
    for start_s, _ in segment_bounds(duration_s):
        a = int(round(start_s * SAMPLE_RATE_HZ))
        seg = torch.zeros(seg_n)
        lo, hi = max(a, 0), min(a + seg_n, w.numel())
        if hi > lo:
            seg[lo - a:hi - a] = w[lo:hi]
        seg = seg - seg.mean()
        fb = torchaudio.compliance.kaldi.fbank(
            seg.unsqueeze(0), htk_compat=True, sample_frequency=SAMPLE_RATE_HZ, use_energy=False,
            window_type="hanning", num_mel_bins=MEL_BINS, dither=0.0, frame_length=25,
            frame_shift=10)  # (198, 128)
        fb = fb.transpose(0, 1)  # (128, 198)
        n = fb.shape[1]
        if n < TARGET_FRAMES:
            fb = torch.nn.functional.pad(fb, (0, TARGET_FRAMES - n))
        else:
            fb = fb[:, :TARGET_FRAMES]
        out.append(((fb - NORM_MEAN) / NORM_STD).unsqueeze(0))  # (1, 128, 204)
    return torch.stack(out)  # (8, 1, 128, 204)


def _ffmpeg() -> str:
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise MediaDecodeError("ffmpeg is not on PATH; install ffmpeg to decode clips")
    return exe


def probe(path: str | Path) -> dict:
    exe = shutil.which("ffprobe")
    if exe is None:
        raise MediaDecodeError("ffprobe is not on PATH; install ffmpeg to decode clips")
    r = subprocess.run([exe, "-v", "error", "-print_format", "json", "-show_format",
                        "-show_streams", str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        raise MediaDecodeError(f"ffprobe failed on {path}: {r.stderr.strip()[:300]}")
    info = json.loads(r.stdout)
    v = next((s for s in info.get("streams", []) if s.get("codec_type") == "video"), None)
    a = next((s for s in info.get("streams", []) if s.get("codec_type") == "audio"), None)
    if v is None:
        raise MediaDecodeError(f"{path} has no video stream")
    dur = float(info.get("format", {}).get("duration") or v.get("duration") or 0.0)
    num, den = (v.get("avg_frame_rate") or "0/1").split("/")
    fps = float(num) / float(den) if float(den) else 0.0
    return {"durationS": dur, "width": int(v["width"]), "height": int(v["height"]), "fps": fps,
            "hasAudio": a is not None}


def decode_frames(path: str | Path, times: list[float], width: int, height: int) -> np.ndarray:
    """uint8 [len(times), H, W, 3]: for each t, the last decoded frame with pts <= t."""
    cmd = [_ffmpeg(), "-hide_banner", "-nostats", "-v", "info", "-i", str(path), "-an", "-vf", "showinfo",
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-vsync", "passthrough", "pipe:1"]
    r = subprocess.run(cmd, capture_output=True)
    if r.returncode != 0:
        raise MediaDecodeError(f"ffmpeg could not decode video of {path}: "
                               f"{r.stderr.decode(errors='replace').strip()[-300:]}")
    n_bytes = width * height * 3
    all_frames = np.frombuffer(r.stdout, np.uint8)
    count = all_frames.size // n_bytes
    all_frames = all_frames[:count * n_bytes].reshape(count, height, width, 3)
    pts = [float(line.split("pts_time:")[1].split()[0])
           for line in r.stderr.decode(errors="replace").splitlines() if "pts_time:" in line]
    if len(pts) != count or count == 0:
        raise MediaDecodeError(f"{path}: decoded {count} frames but read {len(pts)} timestamps")
    pts_arr = np.asarray(pts)
    idx = [max(int(np.searchsorted(pts_arr, t + 1e-6, side="right")) - 1, 0) for t in times]
    return all_frames[idx].copy()


def decode_audio(path: str | Path) -> np.ndarray:
    """float32 mono 16 kHz samples of the first audio stream."""
    cmd = [_ffmpeg(), "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-ar",
           str(SAMPLE_RATE_HZ), "-f", "f32le", "pipe:1"]
    r = subprocess.run(cmd, capture_output=True)
    if r.returncode != 0:
        raise MediaDecodeError(f"ffmpeg could not decode audio of {path}: "
                               f"{r.stderr.decode(errors='replace').strip()[-300:]}")
    return np.frombuffer(r.stdout, np.float32).copy()


def load_clip_features(path: str | Path) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """Decode an MP4 as inference sees it -> (frames [8,3,224,224], spectrograms [8,1,128,204], info).

    A clip without an audio stream gets silence (info['hasAudio'] is False).
    """
    info = probe(path)
    times = frame_times(info["durationS"])
    frames = decode_frames(path, times, info["width"], info["height"])
    wave = decode_audio(path) if info["hasAudio"] else np.zeros(0, np.float32)
    info = {**info, "frameTimesS": times, "segmentsS": segment_bounds(info["durationS"])}
    return frames_to_tensor(frames), waveform_to_fbank(wave, info["durationS"]), info
