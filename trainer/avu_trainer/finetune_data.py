"""What `avu finetune` trains on: the fine-tune set made by AVU Studio, and AVU-Synth replay.

The fine-tune set is a folder written by src/finetune/training-set.ts (docs/finetune.md):
  set.json          counts, split, content hash
  clips.jsonl       one line per clip: {id, clip, split: train|heldout, frames, spectrograms, items: [{q, a, subset, modality}]}
  arrays/<id>.frames.npy        float32 [8, 3, 224, 224]  (src/media: CLIP-normalised, what inference feeds)
  arrays/<id>.spectrograms.npy  float32 [8, 1, 128, 204]  (src/media: normalised fbank)
The arrays are exactly the encoder inputs inference computes; nothing here preprocesses them again.

Replay is the base model's own training data (AVU-Synth clips, seeds 10,000,000 + i, with the recipe's share of
white-noise and silent audio), cached once by data.build_cache; a configurable share of each batch comes from it
so the new labels do not wipe out the old ones.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .data import ClipCache, build_cache

FRAMES_SHAPE = (8, 3, 224, 224)
SPECS_SHAPE = (8, 1, 128, 204)


@dataclass
class SetClip:
    id: str
    clip: str
    split: str
    frames: np.ndarray          # (8, 3, 224, 224) f32
    spectrograms: np.ndarray    # (8, 1, 128, 204) f32
    items: list[dict]


def _array(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    a = np.load(path)
    if a.dtype != np.float32 or tuple(a.shape) != shape:
        raise ValueError(f"{path}: expected float32 {list(shape)}, found {a.dtype} {list(a.shape)}; "
                         "rebuild the fine-tune set")
    return a


def load_set(set_dir: str | Path) -> list[SetClip]:
    set_dir = Path(set_dir)
    clips = []
    with open(set_dir / "clips.jsonl") as fh:
        for line in fh:
            c = json.loads(line)
            clips.append(SetClip(c["id"], c["clip"], c["split"],
                                 _array(set_dir / c["frames"], FRAMES_SHAPE),
                                 _array(set_dir / c["spectrograms"], SPECS_SHAPE), c["items"]))
    return clips


def items_for(stage: str, items: list[dict]) -> list[dict]:
    """Pretrain (paper stage 1) learns from captions and keyword lists; instruction (stage 2) from the rest."""
    return [x for x in items if (x["subset"] == "pretrain") == (stage == "pretrain")]


class Replay:
    """AVU-Synth clips the base model trained on, Q&A drawn as its stages drew them."""

    def __init__(self, cache_dir: str | Path, count: int, seed: int, log=print):
        self.cache = ClipCache(build_cache(cache_dir, count, seed, log=log)) if count > 0 else None

    def __len__(self) -> int:
        return len(self.cache) if self.cache else 0

    def tensors(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        f, s = self.cache.tensors([i])
        return f[0], s[0]

    def qa(self, stage: str, i: int, rng, per_clip: int) -> list[tuple[str, str]]:
        qa = self.cache.clips[i]["qa"]
        pre = [x for x in qa if x["subset"] == "pretrain"]
        if stage == "pretrain":
            return [(x["q"], x["a"]) for x in pre]
        rest = [x for x in qa if x["subset"] != "pretrain"]
        chosen = [rest[k] for k in rng.choice(len(rest), size=min(per_clip, len(rest)), replace=False)]
        chosen.append(pre[int(rng.integers(len(pre)))])
        return [(x["q"], x["a"]) for x in chosen]
