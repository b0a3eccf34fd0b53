"""Training data: AVU-Synth clips cached on disk once, reused by every stage and ablation.

Cache (trainer/data/<name>/, gitignored):
  frames.npy  memmap uint8 [N, 8, 224, 224, 3]  (normalised on the fly: 4x smaller than f32)
  specs.npy   memmap float16 [N, 8, 128, 204]   (normalised fbank, preprocess.waveform_to_fbank)
  clips.jsonl one line per clip: seed, level, audio, duration_s, qa, captions, meta, attributes
  done.json   how many clips are complete (building resumes from there)
Training seeds are data_seed + i (default 10_000_000 + i); evaluation uses other seeds.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from .preprocess import CLIP_MEAN, CLIP_STD, waveform_to_fbank
from .synth import make_clip
from .synth.render import frame_time, frame_times
from .synth.world import COLOURS, COLS, MOTIONS, PITCHES, RHYTHMS, ROWS, SCENES, SHAPES, SIZES
from .synth.writer import NOISE_FRACTION, SILENCE_FRACTION, audio_variant

T, S = 8, 224
VARIANTS = ("real", "noise", "silence")


def build_cache(out: str | Path, count: int, seed: int, log=print) -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    done_path = out / "done.json"
    done = json.loads(done_path.read_text())["done"] if done_path.exists() else 0
    if done >= count:
        return out
    mode = "r+" if (out / "frames.npy").exists() and done > 0 else "w+"
    frames = np.lib.format.open_memmap(out / "frames.npy", mode=mode, dtype=np.uint8, shape=(count, T, S, S, 3))
    specs = np.lib.format.open_memmap(out / "specs.npy", mode=mode, dtype=np.float16, shape=(count, T, 128, 204))
    with open(out / "clips.jsonl", "a" if done else "w") as fh:
        for i in range(done, count):
            s = seed + i
            clip = make_clip(s, None, audio_variant(s, NOISE_FRACTION, SILENCE_FRACTION))
            frames[i] = clip.frames
            specs[i] = waveform_to_fbank(clip.waveform, clip.duration_s)[:, 0].numpy().astype(np.float16)
            fh.write(json.dumps({"seed": s, "level": clip.level, "audio": clip.audio,
                                 "duration_s": clip.duration_s, "qa": clip.qa, "captions": clip.captions,
                                 "meta": clip.meta, "attributes": clip.attributes}) + "\n")
            if (i + 1) % 250 == 0 or i + 1 == count:
                frames.flush()
                specs.flush()
                fh.flush()
                done_path.write_text(json.dumps({"done": i + 1, "count": count, "seed": seed}))
                log({"event": "cache", "clips": i + 1, "of": count})
    return out


class ClipCache:
    def __init__(self, path: str | Path):
        path = Path(path)
        self.frames = np.load(path / "frames.npy", mmap_mode="r")
        self.specs = np.load(path / "specs.npy", mmap_mode="r")
        self.clips = [json.loads(line) for line in open(path / "clips.jsonl")]
        n = json.loads((path / "done.json").read_text())["done"]
        self.clips = self.clips[:n]
        self._mean = torch.tensor(CLIP_MEAN).view(1, 1, 3, 1, 1)
        self._std = torch.tensor(CLIP_STD).view(1, 1, 3, 1, 1)
        self.labels = [clip_labels(c) for c in self.clips]

    def __len__(self) -> int:
        return len(self.clips)

    def tensors(self, idx: list[int], device: str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
        """-> frames f32 (B, 8, 3, 224, 224) CLIP-normalised, spectrograms f32 (B, 8, 1, 128, 204)."""
        order = np.argsort(idx)                                        # memmap reads in file order
        f = torch.from_numpy(np.stack([self.frames[idx[k]] for k in order]))
        s = torch.from_numpy(np.stack([self.specs[idx[k]] for k in order]).astype(np.float32))
        inv = torch.from_numpy(np.argsort(order))
        f = (f[inv].permute(0, 1, 4, 2, 3).float() / 255.0 - self._mean) / self._std
        return f.to(device), s[inv].unsqueeze(2).to(device)

    def texts(self):
        for c in self.clips:
            yield from (c["captions"][k] for k in ("audio", "visual", "av"))
            for qa in c["qa"]:
                yield qa["q"]
                yield qa["a"]


# --------------------------------------------------------------------------- stage-0 attribute labels
# Visual, per cell of the 3x3 grid the objects sit on (the spatial tokens' grid): shape (none or one
# of 4), colour, size, motion; per clip: scene; per frame: something lit.
# Audio, per clip: variant, source, pitch, rhythm; per segment: sounding.
CELL_HEADS = {"shape": 1 + len(SHAPES), "colour": len(COLOURS), "size": len(SIZES)}
AUD_HEADS = {"variant": len(VARIANTS), "source": len(SHAPES), "pitch": len(PITCHES), "rhythm": len(RHYTHMS)}


def clip_labels(c: dict) -> dict:
    a = c["attributes"]
    ig = -100
    cells = {k: [0 if k == "shape" else ig] * 9 for k in (*CELL_HEADS, "motion")}
    for o in a["objects"]:
        k = ROWS.index(o["row"]) * 3 + COLS.index(o["col"])
        cells["shape"][k] = 1 + SHAPES.index(o["shape"])
        cells["colour"][k] = COLOURS.index(o["colour"])
        cells["size"][k] = SIZES.index(o["size"])
        cells["motion"][k] = MOTIONS.index(o["motion"])
    snd = a["sound"]
    times = [frame_time(t) for t in frame_times(c["duration_s"])]
    lit = any(o["lit"] for o in a["objects"])
    real = c["audio"] == "real"
    return {
        "cells": cells, "scene": SCENES.index(a["scene"]),
        "lit": [float(lit and snd["start_s"] <= t < snd["end_s"]) for t in times],
        "variant": VARIANTS.index(c["audio"]),
        "source": SHAPES.index(snd["source"]) if real else ig,
        "pitch": PITCHES.index(snd["pitch"]) if real else ig,
        "rhythm": RHYTHMS.index(snd["rhythm"]) if real else ig,
        "sounding": [float(real and snd["start_s"] <= t < snd["end_s"]) for t in frame_times(c["duration_s"])],
    }


def batch_labels(labels: list[dict]) -> dict[str, torch.Tensor]:
    out = {f"cell_{k}": torch.tensor([lb["cells"][k] for lb in labels]) for k in (*CELL_HEADS, "motion")}  # (B, 9)
    for k in ("scene", "variant", "source", "pitch", "rhythm"):
        out[k] = torch.tensor([lb[k] for lb in labels])
    out["lit"] = torch.tensor([lb["lit"] for lb in labels])               # (B, 8)
    out["sounding"] = torch.tensor([lb["sounding"] for lb in labels])     # (B, 8)
    return out
