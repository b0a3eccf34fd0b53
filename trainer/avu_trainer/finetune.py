"""Fine-tune a bundle on a fine-tune set and write the result as a new bundle: what `avu finetune` runs.

    python -m avu_trainer.finetune --job JOB.json

JOB.json (written by src/finetune/run.ts; docs/finetune.md):
  {"base": bundle dir, "set": fine-tune set dir, "out": folder to write the new bundle into (created),
   "stage": "instruction" | "pretrain" | "both", "config": FinetuneConfig fields, "name": ..., "version": ...,
   "lineage": {...}, "replayCache": dir}
Stages (paper 3.3): pretrain = adapter, merging and projectors on captions and keyword lists (encoders and LLM
frozen); instruction = everything but the encoders on the other Q&A. Loss: next-token on answer tokens only
(train.pack_qa / packed_loss, as the recipe). Progress: one JSON object per line on stdout; the last is
{"event": "done", ...}. A failure ends with a traceback on stderr and a non-zero exit, and `out` is left for
the caller to remove.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch

from .bundle_weights import load_bundle_model, sha256
from .export import export_bundle
from .finetune_data import Replay, SetClip, items_for, load_set
from .model import Dolphin
from .train import lr_at, pack_qa, packed_loss

STAGE_ORDER = {"instruction": ["instruction"], "pretrain": ["pretrain"], "both": ["pretrain", "instruction"]}


@dataclass
class StageHyper:
    steps: int = 300
    batch_clips: int = 6
    lr: float = 2e-4                 # the recipe's stage 2 used 1e-3 from scratch: a fine-tune moves less
    warmup: float = 0.05
    weight_decay: float = 0.0


@dataclass
class FinetuneConfig:
    instruction: StageHyper = field(default_factory=StageHyper)
    pretrain: StageHyper = field(default_factory=lambda: StageHyper(steps=100, lr=5e-4))
    qa_per_clip: int = 12
    replay_share: float = 0.5        # share of each batch's clips drawn from the base model's AVU-Synth data
    replay_clips: int = 200
    replay_seed: int = 10_000_000
    seed: int = 0
    threads: int = 2
    log_every: int = 10

    @classmethod
    def from_dict(cls, d: dict) -> "FinetuneConfig":
        d = dict(d)
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown fine-tune config fields: {sorted(unknown)}")
        stages = {k: StageHyper(**d.pop(k)) for k in ("instruction", "pretrain") if k in d}
        cfg = cls(**stages, **d)
        if not 0.0 <= cfg.replay_share < 1.0:
            raise ValueError(f"replay_share must be in [0, 1), got {cfg.replay_share}")
        return cfg


def log(obj: dict) -> None:
    print(json.dumps(obj), flush=True)


def set_trainable(model: Dolphin, stage: str) -> list[torch.nn.Parameter]:
    model.requires_grad_(False)
    if stage == "pretrain":
        for mod in model.connector():
            mod.requires_grad_(True)
    else:
        model.requires_grad_(True)
        for enc in model.encoders():
            enc.requires_grad_(False)                # paper stage 2: only the encoders stay frozen
    return [p for p in model.parameters() if p.requires_grad]


def batch_rows(stage: str, train: list[SetClip], replay: Replay, cfg: FinetuneConfig, rng, n: int):
    """-> frames (n, 8, 3, 224, 224), spectrograms (n, 8, 1, 128, 204), Q&A lists, how many rows are replay."""
    fs, ss, qa, n_replay = [], [], [], 0
    for _ in range(n):
        if len(replay) and rng.random() < cfg.replay_share:
            i = int(rng.integers(len(replay)))
            f, s = replay.tensors(i)
            pairs = replay.qa(stage, i, rng, cfg.qa_per_clip)
            n_replay += 1
        else:
            c = train[int(rng.integers(len(train)))]
            items = items_for(stage, c.items)
            pick = rng.choice(len(items), size=min(cfg.qa_per_clip, len(items)), replace=False)
            f, s = torch.from_numpy(c.frames), torch.from_numpy(c.spectrograms)
            pairs = [(items[k]["q"], items[k]["a"]) for k in pick]
        fs.append(f)
        ss.append(s)
        qa.append(pairs)
    return torch.stack(fs), torch.stack(ss), qa, n_replay


def parent_gone() -> bool:
    """The local launcher names its pid (AVU_PARENT_PID): when `avu` is killed outright, the trainer stops
    instead of training on for nobody (its partial bundle folder is never renamed into place)."""
    want = os.environ.get("AVU_PARENT_PID")
    return bool(want) and os.getppid() != int(want)


def run_stage(model: Dolphin, tok, stage: str, hp: StageHyper, train: list[SetClip], replay: Replay,
              cfg: FinetuneConfig) -> dict:
    train = [c for c in train if items_for(stage, c.items)]
    if not train:
        raise ValueError(f"the fine-tune set has no {stage} items in its train split")
    params = set_trainable(model, stage)
    opt = torch.optim.AdamW(params, lr=hp.lr, weight_decay=hp.weight_decay, betas=(0.9, 0.98))
    model.train()
    for enc in model.encoders():
        enc.eval()
    P = model.cfg.prefix_length
    log({"event": "stage", "stage": stage, "steps": hp.steps, "trainable": sum(p.numel() for p in params),
         "train_clips": len(train), "replay_clips": len(replay)})
    t0 = t_log = time.time()
    seen, losses = 0, []
    for step in range(hp.steps):
        if parent_gone():
            raise SystemExit("avu finetune: the process that launched the trainer is gone; stopping")
        lr = lr_at(step / hp.steps, hp.lr, hp.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        rng = np.random.default_rng([cfg.seed, 1 if stage == "pretrain" else 2, step])
        f, s, qa, _ = batch_rows(stage, train, replay, cfg, rng, hp.batch_clips)
        loss, _ = packed_loss(model, model.encode(f, s), pack_qa(tok, qa, P, "cpu"))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        losses.append(loss.item())
        seen += sum(map(len, qa))
        if (step + 1) % cfg.log_every == 0 or step + 1 == hp.steps:
            now = time.time()
            elapsed = now - t0
            log({"event": "step", "stage": stage, "step": step + 1, "steps": hp.steps,
                 "loss": round(float(np.mean(losses[-cfg.log_every:])), 4), "lr": round(lr, 7),
                 "samples_per_s": round(seen / max(now - t_log, 1e-9), 2),
                 "eta_s": round(elapsed / (step + 1) * (hp.steps - step - 1), 1)})
            seen, t_log = 0, now
    model.eval()
    wall = round(time.time() - t0, 1)
    log({"event": "stage_done", "stage": stage, "steps": hp.steps, "wall_s": wall})
    return {"steps": hp.steps, "wall_s": wall, "final_loss": round(float(np.mean(losses[-cfg.log_every:])), 4)}


@torch.no_grad()
def heldout_loss(model: Dolphin, tok, clips: list[SetClip], stages: list[str]) -> float | None:
    """Mean answer loss over the held-out clips' items of the stages trained (before and after, in metrics)."""
    vals = []
    for c in clips:
        items = [x for st in stages for x in items_for(st, c.items)]
        if not items:
            continue
        prefix = model.encode(torch.from_numpy(c.frames)[None], torch.from_numpy(c.spectrograms)[None])
        loss, _ = packed_loss(model, prefix, pack_qa(tok, [[(x["q"], x["a"]) for x in items]],
                                                   model.cfg.prefix_length, "cpu"))
        vals.append(loss.item())
    return round(float(np.mean(vals)), 4) if vals else None


def trainer_commit() -> dict:
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--", "."], capture_output=True,
                               text=True, check=True).stdout.strip() != ""
        return {"commit": commit, "dirty": dirty}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}


def run(job: dict) -> dict:
    cfg = FinetuneConfig.from_dict(job.get("config", {}))
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    stages = STAGE_ORDER.get(job["stage"])
    if stages is None:
        raise ValueError(f"stage must be instruction, pretrain or both, got {job['stage']!r}")
    t0 = time.time()
    model, tok, base_manifest = load_bundle_model(job["base"])
    clips = load_set(job["set"])
    train = [c for c in clips if c.split == "train"]
    held = [c for c in clips if c.split == "heldout"]
    log({"event": "start", "base": base_manifest["name"], "stages": stages, "train_clips": len(train),
         "heldout_clips": len(held), "steps": sum(getattr(cfg, st).steps for st in stages)})
    replay = Replay(job["replayCache"], cfg.replay_clips, cfg.replay_seed,
                    log=lambda o: log({**o, "event": "replay_cache"})) if cfg.replay_share > 0 else Replay("", 0, 0)
    before = heldout_loss(model, tok, held, stages)
    per_stage = {st: run_stage(model, tok, st, getattr(cfg, st), train, replay, cfg) for st in stages}
    metrics = {"stages": per_stage, "heldout_loss": {"base": before, "new": heldout_loss(model, tok, held, stages)},
               "train_clips": len(train), "heldout_clips": len(held), "wall_s": 0.0}
    out = Path(job["out"])
    log({"event": "export", "out": str(out)})
    metrics["wall_s"] = round(time.time() - t0, 1)
    lineage = {"stage": job["stage"], "config": asdict(cfg), **job.get("lineage", {}), "trainer": trainer_commit(),
               "metrics": metrics}
    manifest = export_bundle(model, tok, out, job["name"], job.get("version", "0.1.0"),
                             provenance=f"avu finetune of {base_manifest['name']} {base_manifest['version']}",
                             extra={"lineage": lineage})
    heldout = Path(job["set"]) / "heldout.jsonl"
    if heldout.exists():                               # what `avu eval --baseline` asks the two models
        shutil.copyfile(heldout, out / "heldout.jsonl")
        manifest["files"]["heldout.jsonl"] = sha256(out / "heldout.jsonl")
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    log({"event": "done", "out": str(out), "metrics": metrics})
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--job", required=True)
    args = ap.parse_args(argv)
    run(json.loads(Path(args.job).read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
