"""Python reference pipeline for `avu bench` (media part): the same work as src/media, done the usual Python way
(ffmpeg/ffprobe subprocesses + numpy/PIL + torchaudio fbank), timed inside one warm process (imports excluded).

  probe     ffprobe -show_format -show_streams JSON, parsed
  frames    per timestamp: ffmpeg -ss t -i clip -frames:v 1 full-size RGB, PIL bicubic shorter side 224,
            centre crop, /255, CLIP normalisation -> float32 [8,3,224,224]
  audio     ffmpeg -> 16 kHz mono float32 PCM, 8 segments of 2 s centred on t_i (zero-padded),
            ImageBind fbank recipe (torchaudio.compliance.kaldi.fbank) -> float32 [8,1,128,204]
  features  probe + frames + audio, one after the other

Usage: python bench_reference.py CLIP RUNS  -> prints JSON {"probeMs": [...], "framesMs": [...], ...}
       python bench_reference.py --serve     -> reads {"clip": ..., "stage": probe|frames|audio|features} lines
                                                on stdin, answers {"ms": ...} lines (lets avu bench interleave
                                                its runs with ours under the same machine load)
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fbank_reference import imagebind_melspec  # noqa: E402

MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def probe(clip):
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", clip],
                         capture_output=True, check=True).stdout
    info = json.loads(out)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    return float(info["format"]["duration"]), int(video["width"]), int(video["height"])


def frames(clip, duration, width, height):
    out = []
    for i in range(8):
        t = (i + 0.5) * duration / 8
        raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", f"{t:.6f}", "-i", clip, "-frames:v", "1",
                              "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"], capture_output=True, check=True).stdout
        img = Image.fromarray(np.frombuffer(raw, np.uint8)[: width * height * 3].reshape(height, width, 3))
        nw, nh = (224, int(224 * height / width)) if width <= height else (int(224 * width / height), 224)
        img = img.resize((nw, nh), Image.BICUBIC)
        left, top = int(round((nw - 224) / 2.0)), int(round((nh - 224) / 2.0))
        x = np.asarray(img.crop((left, top, left + 224, top + 224)), dtype=np.float32) / 255.0
        out.append(((x - MEAN) / STD).transpose(2, 0, 1))
    return np.stack(out)


def audio(clip, duration):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", clip, "-vn", "-ac", "1", "-ar", "16000", "-f", "f32le", "pipe:1"],
                         capture_output=True, check=True).stdout
    pcm = np.frombuffer(raw, np.float32)
    specs = []
    for i in range(8):
        start = int(round(((i + 0.5) * duration / 8 - 1.0) * 16000))
        seg = np.zeros(32000, np.float32)
        a, b = max(0, start), min(len(pcm), start + 32000)
        if b > a:
            seg[a - start:b - start] = pcm[a:b]
        specs.append(imagebind_melspec(seg)[None])
    return np.stack(specs)


def cpu_s():
    t = os.times()  # this process and its waited-for children (ffmpeg, ffprobe)
    return t.user + t.system + t.children_user + t.children_system


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def timed_cpu(fn):
    c0, t0 = cpu_s(), time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000, (cpu_s() - c0) * 1000


def stage_fn(clip, stage):
    duration, width, height = probe(clip)
    if stage == "probe":
        return lambda: probe(clip)
    if stage == "frames":
        return lambda: frames(clip, duration, width, height)
    if stage == "audio":
        return lambda: audio(clip, duration)
    if stage == "features":
        def features():
            d, w, h = probe(clip)
            frames(clip, d, w, h)
            audio(clip, d)
        return features
    raise ValueError(f"unknown stage {stage!r}")


def serve():
    warmed = set()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            fn = stage_fn(req["clip"], req["stage"])
            if req["clip"] not in warmed:
                audio(req["clip"], probe(req["clip"])[0])  # torch's first fbank call pays one-off set-up costs
                warmed.add(req["clip"])
            ms, cpu_ms = timed_cpu(fn)
            print(json.dumps({"ms": ms, "cpuMs": cpu_ms}), flush=True)
        except Exception as e:  # noqa: BLE001 - reported to the caller as one line
            print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)


def main():
    if sys.argv[1:] == ["--serve"]:
        serve()
        return
    clip, runs = sys.argv[1], int(sys.argv[2])
    duration, width, height = probe(clip)
    audio(clip, duration)  # warm torch's kernels once, as our side is warm too
    result = {"probeMs": [], "framesMs": [], "audioMs": [], "featuresMs": []}
    for _ in range(runs):
        result["probeMs"].append(timed(lambda: probe(clip)))
        result["framesMs"].append(timed(lambda: frames(clip, duration, width, height)))
        result["audioMs"].append(timed(lambda: audio(clip, duration)))

        def features():
            d, w, h = probe(clip)
            frames(clip, d, w, h)
            audio(clip, d)

        result["featuresMs"].append(timed(features))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
