"""Train a tiny Dolphin on AVU-Synth: python -m avu_trainer.train --config trainer/configs/tiny.json

Stages (paper 3.3 and C.1, plus a stage 0 for the stand-in encoders and LLM we cannot download):
  0  encoders: attribute classification from the synth ground truth (what CLIP / ImageBind bring), per frame
     and, with `time_average_heads`, on each cell's time average (what the decoder's spatial tokens are);
     LLM: next-token prediction on the synth text alone (what Vicuna brings). Then the encoders
     are frozen for good.
  1  adapter + merging + projectors on Pretrain (captions, keyword lists); encoders and LLM frozen.
  2  everything but the encoders on Multi Q&A + Specific + Negatives + Tasks (+ one Pretrain item per clip).
  2b (optional; not in the paper) the adapter frozen as well, so its features are computed once per clip and a
     step costs the LLM side only (~3x the steps of stage 2 per second on CPU): merging + projectors + LLM on
     every question that must find one object (by its shape, its sound's name or what is heard) and every
     false premise, plus a few of the clip's other Q&A so nothing is forgotten; with `lookup_weight` > 0, the
     where-to-look loss of grounding.py supervises the decoder heads that find the object; with
     `first_token_share`, the questions that are a false premise somewhere put that share of their loss on the
     first answer token, where the answer and the rejection part ways.
Loss in stages 1-2: next-token prediction on answer tokens only. One clip's Q&A pairs are packed
into one sequence behind a single prefix; a block-diagonal mask keeps each pair blind to the
others, so it equals separate sequences at a fraction of the cost.
Progress: one JSON object per line on stdout. Checkpoints carry their config; rerunning the same
command resumes from <out_dir>/latest.pt.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .checkpoint import load_checkpoint, save_checkpoint
from .config import LookupConfig, StageConfig, TrainConfig
from .data import AUD_HEADS, CELL_HEADS, ClipCache, batch_labels, build_cache
from .grounding import ANSWER, NONE, SOUND, WORD, AttentionInputs, Look, look_for, lookup_loss
from .merging import SpatialTokens
from .model import Dolphin, count_params
from .synth.text import shape_negative
from .synth.world import SHAPES
from .tokenizer import encode_answer, encode_prompt, train_tokenizer

STAGES = ("stage0_encoders", "stage0_lm", "stage1", "stage2", "stage2b")
# stage 2b per clip and step: every visual Q&A, every Q&A that must find one object, every false premise (with
# one for each absent shape), and this many of the clip's other Q&A (Multi Q&A, audio, Tasks, Pretrain)
STAGE2B_OTHER_QA = 6
# stage 0 sees 2 of the 8 frames per clip, so a batch holds twice the clips for the cost of 4 frames: more
# pictures to tell shapes apart by. Frames 1 and 6 are 5/8 of the clip apart (a drift of 17 px) and at the
# ground and the top of a bounce, so every motion still shows.
STAGE0_FRAMES = [1, 6]
# still, bouncing, moving: the time average of a cell tells these apart by the blur motion leaves, but not left from
# right (a drift symmetric about the cell centre averages to the centre), so the two moving classes are one here
AVG_MOTIONS = 3


def stage2b_noise_row(i: int) -> bool:
    """Stage 2b gives 7 clips in 20 (a fixed set, so only theirs need computing) a second row: the same visual
    Q&A over the features the clip gets with white noise for audio (the adapter mixes the audio into the visual
    features): answers about the picture must not move."""
    return i % 20 < 7


def log(obj: dict) -> None:
    print(json.dumps(obj), flush=True)


def lr_at(progress: float, base: float, warmup: float) -> float:
    """Linear warm-up over the first `warmup` fraction, then cosine down to 10%."""
    if progress < warmup:
        return base * (progress + 1e-3) / warmup
    p = min(1.0, (progress - warmup) / max(1e-9, 1 - warmup))
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


# ------------------------------------------------------------------------------------ stage 0 heads
def time_average_targets(y: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Targets (B, 9) of the heads on a cell's time average, from data.batch_labels: its object's motion as
    still / bouncing / moving, and the cell's own index (row by row); -100 (ignored) where the cell is empty."""
    occupied = y["cell_shape"] > 0
    motion3 = torch.where(occupied, y["cell_motion"].clamp(max=AVG_MOTIONS - 1), -100)
    cell = torch.where(occupied, torch.arange(9, device=occupied.device), -100)
    return motion3, cell


class AttributeHeads(nn.Module):
    """Classifiers on the plain encoders' outputs; thrown away after stage 0. The visual ones read
    each token of the 3x3 pooled grid (the decoder's spatial tokens) for the object in that cell,
    so every token learns to describe its own cell."""

    def __init__(self, cfg, time_average: bool = False):
        super().__init__()
        D, n_fr = cfg.vis_dim, len(STAGE0_FRAMES)
        self.vis_pool = SpatialTokens(cfg.vis_grid, (3, 3))
        self.cell = nn.Linear(D, sum(CELL_HEADS.values()))
        self.motion = nn.Linear(n_fr * D, 4)                              # motion needs several frames
        # the decoder's spatial tokens are the time average of the cells: what it reads there must survive the
        # average (still / bouncing / moving from the blur it leaves, and which cell it is, for "where"). Made
        # here, as in the run that trained the shipped encoders (trainer/runs/tiny-v2); without the switch nothing
        # is made here, so every other head starts from the same random weights as in the recipe before it.
        self.time_average = time_average
        if time_average:
            self.avg_motion = nn.Linear(D, AVG_MOTIONS)
            self.avg_cell = nn.Linear(D, 9)
        self.scene = nn.Linear(D, 4)
        self.lit = nn.Linear(9 * D, 1)
        fa = cfg.aud_grid[0] * cfg.aud_grid[1] * cfg.aud_dim
        self.aud_clip = nn.Linear(fa, sum(AUD_HEADS.values()))
        self.aud_sounding = nn.Linear(fa, 1)
        self.register_buffer("shape_weight", torch.tensor([0.15] + [1.0] * (CELL_HEADS["shape"] - 1)))

    def forward(self, V: torch.Tensor, A: torch.Tensor, y: dict) -> tuple[torch.Tensor, dict]:
        """V (B, T, Lv, D), A (B, T, La, D) plain encoder features; y from data.batch_labels.
        Returns the summed loss and the accuracy of each head."""
        B, T = V.shape[:2]
        cells = self.vis_pool.pool @ V                                    # (B, T, 9, D)
        fa = A.flatten(2)                                                 # (B, T, La*D)
        losses, acc = {}, {}

        def ce(name, logits, target, weight=None, scale=1.0):
            ok = target != -100
            if ok.any():
                losses[name] = scale * F.cross_entropy(logits[ok], target[ok], weight=weight)
                acc[name] = (logits[ok].argmax(-1) == target[ok]).float().mean().item()

        out = self.cell(cells)                                            # (B, T, 9, n)
        off = 0
        for k, n in CELL_HEADS.items():
            # most cells are empty: weigh "no shape" down or the head never learns the shapes
            # and shape, the hardest of the cell attributes, counts double
            w = self.shape_weight if k == "shape" else None
            ce(k, out[..., off:off + n].flatten(0, 2), y[f"cell_{k}"][:, None].expand(B, T, 9).flatten(), w,
               2.0 if k == "shape" else 1.0)
            off += n
        shape_t = y["cell_shape"][:, None].expand(B, T, 9)
        occupied = shape_t > 0                                            # the figure that matters downstream
        if occupied.any():
            acc["shape_occupied"] = (out[..., :CELL_HEADS["shape"]].argmax(-1)[occupied] == shape_t[occupied]).float().mean().item()
        ce("motion", self.motion(cells.transpose(1, 2).flatten(2)).flatten(0, 1), y["cell_motion"].flatten())
        if self.time_average:
            avg = cells.mean(1)                                           # (B, 9, D) what a spatial token averages
            motion3, where = time_average_targets(y)
            ce("avg_motion", self.avg_motion(avg).flatten(0, 1), motion3.flatten())
            ce("avg_cell", self.avg_cell(avg).flatten(0, 1), where.flatten())
        ce("scene", self.scene(cells.mean((1, 2))), y["scene"])
        losses["lit"] = F.binary_cross_entropy_with_logits(self.lit(cells.flatten(2))[..., 0], y["lit"])
        losses["sounding"] = F.binary_cross_entropy_with_logits(self.aud_sounding(fa)[..., 0], y["sounding"])
        out = self.aud_clip(fa.mean(1))
        off = 0
        for k, n in AUD_HEADS.items():
            ce(k, out[:, off:off + n], y[k])
            off += n
        return sum(losses.values()), acc


# ------------------------------------------------------------------------------- packed Q&A batches
class Packed(NamedTuple):
    ids: torch.Tensor        # (B, L)
    tgt: torch.Tensor        # (B, L) next token where it is an answer token, else -100
    w: torch.Tensor          # (B, L) 1 / answer length / pairs in batch: short answers count as much as captions
    pos: torch.Tensor        # (B, P+L) position ids
    bias: torch.Tensor       # (B, 1, P+L, P+L) additive attention bias
    look: torch.Tensor | None  # (B, L, 2) grounding.py targets [kind, cell or word index], when looks were given


def pack_qa(tok, qa_lists: list[list[tuple[str, str]]], P: int, device: str,
            looks: list[list[Look | None]] | None = None,
            first_token_shares: list[list[float]] | None = None) -> Packed:
    """One row per clip: its Q&A pairs back to back after the prefix, each pair blind to the others and
    position-numbered as if alone. `looks` (parallel to qa_lists) adds the where-to-look targets. Every pair
    weighs the same; within a pair, its `first_token_shares` entry (parallel to qa_lists; 0 without them) of its
    weight goes to the first answer token and the rest is spread evenly over all its answer tokens."""
    rows = []
    n_pairs = sum(len(x) for x in qa_lists)
    for r, pairs in enumerate(qa_lists):
        ids, tgt, w, pos, blk, lk = [], [], [], [], [], []
        for b, (q, a) in enumerate(pairs):
            p, ans = encode_prompt(tok, q), encode_answer(tok, a)
            seq = p + ans
            base = len(ids)
            ids += seq
            tgt += [seq[t + 1] if t + 1 >= len(p) and t + 1 < len(seq) else -100 for t in range(len(seq))]
            share = first_token_shares[r][b] if first_token_shares else 0.0
            w += [(1.0 - share) / (len(ans) * n_pairs)] * len(seq)
            w[base + len(p) - 1] += share / n_pairs                           # the position that predicts ans[0]
            pos += list(range(P, P + len(seq)))
            blk += [b] * len(seq)
            lk += [(NONE, 0)] * len(seq)
            look = looks[r][b] if looks else None
            if look is not None:
                for t in range(len(p) - 1, len(seq) - 1):                    # positions that predict the answer
                    lk[base + t] = (ANSWER, base + look.word)
                lk[base + look.word] = (SOUND if look.by_sound else WORD, look.cell)
        rows.append((ids, tgt, w, pos, blk, lk))
    L = max(len(r[0]) for r in rows)
    B = len(rows)
    ids = torch.zeros(B, L, dtype=torch.long)
    tgt = torch.full((B, L), -100, dtype=torch.long)
    w = torch.zeros(B, L)
    pos = torch.arange(P + L).repeat(B, 1)
    blk = torch.full((B, P + L), -2, dtype=torch.long)                   # -2: padding
    blk[:, :P] = -1                                                       # -1: the prefix, seen by all
    look = torch.zeros(B, L, 2, dtype=torch.long)
    for i, (a, b, c, d, e, f) in enumerate(rows):
        n = len(a)
        ids[i, :n], tgt[i, :n], w[i, :n] = torch.tensor(a), torch.tensor(b), torch.tensor(c)
        pos[i, P:P + n], blk[i, P:P + n], look[i, :n] = torch.tensor(d), torch.tensor(e), torch.tensor(f)
    causal = torch.ones(P + L, P + L, dtype=torch.bool).tril()
    same = (blk[:, :, None] == blk[:, None, :]) | (blk[:, None, :] == -1)
    bias = torch.where(causal & same, 0.0, -1e9)[:, None]
    return Packed(ids.to(device), tgt.to(device), w.to(device), pos.to(device), bias.to(device),
                  look.to(device) if looks else None)


def packed_loss(model: Dolphin, prefix: torch.Tensor, batch: Packed, lookup: LookupConfig | None = None,
                lookup_weight: float = 0.0) -> tuple[torch.Tensor, dict[str, float]]:
    """Answer-token loss (+ lookup_weight x grounding.py's where-to-look loss when the batch has looks).
    Returns the loss and, with the looks, each supervised head's accuracy."""
    B, P, _ = prefix.shape
    x = torch.cat([prefix, model.embed_tokens(batch.ids)], dim=1)        # (B, P+L, dim)
    mask = torch.ones(B, x.shape[1], dtype=torch.long, device=x.device)
    looking = batch.look is not None and lookup_weight > 0
    layers = {lookup.word_layer, lookup.source_layer, lookup.answer_layer} if looking else set()
    with AttentionInputs(model.decoder, layers) as seen:
        h, _ = model.decoder(x, mask, batch.pos, attn_bias=batch.bias, logits_from=P, return_hidden=True)
    sel = batch.tgt != -100
    logits = model.decoder.lm_head(h[sel])                                # only where an answer token is next
    ce = F.cross_entropy(logits, batch.tgt[sel], reduction="none")
    loss = (ce * batch.w[sel]).sum()
    if not looking:
        return loss, {}
    extra, acc = lookup_loss(model.decoder, seen.x, batch.pos, batch.bias, batch.look, P, lookup,
                             model.cfg.rope_theta)
    return loss + lookup_weight * extra, acc


def false_premise_questions(clips: list[dict]) -> set[str]:
    """The questions that are a false premise in some clip (a rejection is a right answer to them there): "What
    colour is the square?", "Where is the sounding object?", ... Stage 2b's `first_token_share` weighs their first
    answer token, where the answer and the rejection part ways; other answers (times, captions) keep even weights."""
    qs = {x["q"] for c in clips for x in c["qa"] if x["subset"] == "negative"}
    return qs | {shape_negative(sh)[0] for sh in SHAPES}


# ---------------------------------------------------------------------------------------- the loop
class Trainer:
    def __init__(self, cfg: TrainConfig, out_dir: Path, device: str):
        self.cfg, self.out, self.device = cfg, out_dir, device
        self.cache: ClipCache | None = None
        self.features: dict[str, tuple[torch.Tensor, torch.Tensor]] | None = None  # stage 2b: adapted V, A per clip
        self.noise_row: dict[int, int] = {}      # stage 2b: clip -> its row in features["noise"]
        self.false_premises: set[str] = set()   # stage 2b: false_premise_questions of the training clips
        self.model: Dolphin | None = None
        self.step_acc: dict[str, float] = {}    # the last step's accuracies (stage 0 heads, 2b's looking heads)
        self.tok = None
        self.state = {"stage": STAGES[0], "step": 0, "elapsed_s": 0.0, "done": [], "wall_s": {}}

    # data and tokenizer
    def prepare(self) -> None:
        c = self.cfg
        t0 = time.time()
        path = build_cache(Path(c.data_dir), c.train_clips + c.val_clips, c.data_seed, log=log)
        self.cache = ClipCache(path)
        log({"event": "data", "clips": len(self.cache), "seconds": round(time.time() - t0, 1)})

    def build(self) -> None:
        latest = self.out / "latest.pt"
        if latest.exists():
            self.model, self.tok, st = load_checkpoint(latest)
            self.state = st["extra"]["state"]
            self.resume_opt = st["optimizer"]
            log({"event": "resume", **{k: self.state[k] for k in ("stage", "step")}})
        elif self.cfg.init_from:
            # ablations share the full run's stage 0: same frozen encoders, same LLM, same tokenizer
            src, self.tok, _ = load_checkpoint(self.cfg.init_from)
            self.cfg.model.vocab_size = src.cfg.vocab_size
            torch.manual_seed(self.cfg.seed)
            self.model = Dolphin(self.cfg.model)
            keep = {k: v for k, v in src.state_dict().items() if k.split(".")[0] in ("vis_enc", "aud_enc", "decoder")}
            missing = self.model.load_state_dict(keep, strict=False)
            assert not [k for k in missing.missing_keys if k.split(".")[0] in ("vis_enc", "aud_enc", "decoder")]
            self.state["done"] = ["stage0_encoders", "stage0_lm"]
            for enc in self.model.encoders():
                enc.requires_grad_(False).eval()
            self.resume_opt = None
            self.tok.save(str(self.out / "tokenizer.json"))
            log({"event": "init_from", "checkpoint": self.cfg.init_from})
        else:
            self.tok = train_tokenizer(self.cache.texts(), self.cfg.tokenizer_vocab)
            self.cfg.model.vocab_size = max(self.cfg.model.vocab_size, self.tok.get_vocab_size())
            torch.manual_seed(self.cfg.seed)
            self.model = Dolphin(self.cfg.model)
            self.resume_opt = None
            self.tok.save(str(self.out / "tokenizer.json"))
        self.model.to(self.device)
        log({"event": "model", "params": count_params(self.model), "prefix": self.model.cfg.prefix_length,
             "vocab": self.tok.get_vocab_size(),
             **{n: count_params(m) for n, m in (("encoders", nn.ModuleList(self.model.encoders())),
                                                ("connector", nn.ModuleList(self.model.connector())),
                                                ("decoder", self.model.decoder))}})

    def save(self, name: str, opt=None) -> None:
        save_checkpoint(self.out / name, self.model, self.tok, train_cfg=self.cfg.to_dict(),
                        stage=self.state["stage"], step=self.state["step"],
                        optimizer=opt.state_dict() if opt is not None else None,
                        extra={"state": self.state})

    def stage_config(self, stage: str) -> StageConfig | None:
        return {"stage0_encoders": self.cfg.stage0, "stage0_lm": self.cfg.stage0_lm,
                "stage1": self.cfg.stage1, "stage2": self.cfg.stage2, "stage2b": self.cfg.stage2b}[stage]

    # which parameters each stage trains: frozen modules are frozen visibly
    def set_trainable(self, stage: str) -> list[nn.Parameter]:
        m = self.model
        m.requires_grad_(False)
        if stage == "stage0_encoders":
            for enc in m.encoders():
                enc.requires_grad_(True)
        elif stage == "stage0_lm":
            m.decoder.requires_grad_(True)
        elif stage == "stage1":
            for mod in m.connector():
                mod.requires_grad_(True)
        elif stage == "stage2":
            m.requires_grad_(True)
            for enc in m.encoders():
                enc.requires_grad_(False)                    # the encoders stay frozen from here on
        elif stage == "stage2b":
            for mod in (m.merge, m.proj_video, m.proj_audio, m.proj_av, m.decoder):
                mod.requires_grad_(True)
        return [p for p in m.parameters() if p.requires_grad]

    def run(self) -> None:
        t_all = time.time()
        for stage in STAGES:
            if stage in self.state["done"] or self.stage_config(stage) is None:
                continue
            if self.state["stage"] != stage:
                self.state.update(stage=stage, step=0, elapsed_s=0.0)
                self.resume_opt = None
            self.run_stage(stage, self.stage_config(stage))
            self.state["done"].append(stage)
            self.save(f"{stage}.pt")
            self.save("latest.pt")
        self.save("final.pt")
        log({"event": "done", "wall_s": round(time.time() - t_all, 1), "stage_wall_s": self.state["wall_s"]})

    def run_stage(self, stage: str, sc: StageConfig) -> None:
        cfg = self.cfg
        heads = None
        self.step_acc = {}
        if sc.lookup_weight > 0:
            cfg.lookup.check(self.model.cfg)
        params = self.set_trainable(stage)
        if stage == "stage0_encoders":
            heads = AttributeHeads(self.model.cfg, cfg.time_average_heads).to(self.device)
            params += list(heads.parameters())
            if self.resume_opt is not None and (self.out / "heads.pt").exists():
                heads.load_state_dict(torch.load(self.out / "heads.pt"))
        log({"event": "stage", "stage": stage, "trainable": sum(p.numel() for p in params),
             "steps": sc.steps, "time_budget_s": sc.time_budget_s})
        opt = torch.optim.AdamW(params, lr=sc.lr, weight_decay=sc.weight_decay, betas=(0.9, 0.98))
        if self.resume_opt is not None:
            opt.load_state_dict(self.resume_opt)
            self.resume_opt = None
        self.model.train()
        for enc in self.model.encoders():
            enc.train(stage == "stage0_encoders")
        if stage == "stage2b":
            self.features = self.adapted_features()
            self.false_premises = false_premise_questions(self.cache.clips)
        n_train = cfg.train_clips
        t_start = time.time() - self.state["elapsed_s"]
        seen, t_log = 0, time.time()
        while True:
            step = self.state["step"]
            elapsed = time.time() - t_start
            progress = step / sc.steps
            if sc.time_budget_s:
                progress = max(progress, elapsed / sc.time_budget_s)
            if progress >= 1.0:
                break
            lr = lr_at(progress, sc.lr, sc.warmup)
            for g in opt.param_groups:
                g["lr"] = lr
            rng = np.random.default_rng([cfg.seed, STAGES.index(stage), step])
            idx = rng.choice(n_train, size=sc.batch_clips, replace=False).tolist()
            loss, n = self.step_loss(stage, idx, rng, heads)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            self.state["step"] = step + 1
            self.state["elapsed_s"] = time.time() - t_start
            seen += n
            if (step + 1) % cfg.log_every == 0:
                dt = time.time() - t_log
                rate = seen / max(dt, 1e-9)
                done_frac = max((step + 1) / sc.steps, self.state["elapsed_s"] / (sc.time_budget_s or 1e18))
                eta = self.state["elapsed_s"] * (1 - done_frac) / max(done_frac, 1e-9)
                rec = {"stage": stage, "step": step + 1, "loss": round(loss.item(), 4), "lr": round(lr, 6),
                       "samples_per_s": round(rate, 2), "eta_s": round(eta, 1)}
                if self.step_acc:
                    rec["acc"] = {k: round(v, 2) for k, v in self.step_acc.items()}
                log(rec)
                seen, t_log = 0, time.time()
            if (step + 1) % cfg.ckpt_every == 0:
                self.save("latest.pt", opt)
                if heads is not None:
                    torch.save(heads.state_dict(), self.out / "heads.pt")
        self.state["wall_s"][stage] = round(self.state["elapsed_s"], 1)
        log({"event": "stage_done", "stage": stage, "steps": self.state["step"], "wall_s": self.state["wall_s"][stage]})
        if stage == "stage0_encoders":
            for enc in self.model.encoders():
                enc.requires_grad_(False).eval()

    @torch.no_grad()
    def adapted_features(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """Stage 2b: the frozen encoders' and adapter's output V, A for every training clip, once, as float16,
        with the clip's audio ("real"), and for the noise-row clips with white noise instead ("noise", in clip
        order: self.noise_row maps a clip to its row): 2,500 clips, 0.55 GB, ~4.5 min on 2 cores."""
        from .preprocess import SAMPLE_RATE_HZ, waveform_to_fbank, white_noise

        t0 = time.time()
        m, n = self.model, self.cfg.train_clips
        m.eval()
        out: dict[str, list[torch.Tensor]] = {}
        for b in range(0, n, 16):
            idx = list(range(b, min(n, b + 16)))
            f, s = self.cache.tensors(idx, self.device)
            noisy = [k for k, i in enumerate(idx) if stage2b_noise_row(i)]
            runs = [("real", f, s)]
            if noisy:
                noise = []
                for i in (idx[k] for k in noisy):
                    d = self.cache.clips[i]["duration_s"]
                    noise.append(waveform_to_fbank(white_noise(int(round(d * SAMPLE_RATE_HZ)), self.cfg.seed * 1_000_003 + i), d))
                runs.append(("noise", f[noisy], torch.stack(noise).to(self.device)))
            for name, frames, spec in runs:
                V, A = m.encode_features(frames, spec)
                out.setdefault(f"{name}V", []).append(V.half())
                out.setdefault(f"{name}A", []).append(A.half())
        m.train()
        for enc in m.encoders():
            enc.eval()
        self.noise_row = {i: r for r, i in enumerate(i for i in range(n) if stage2b_noise_row(i))}
        log({"event": "features", "stage": "stage2b", "clips": n, "noise_clips": len(self.noise_row),
             "seconds": round(time.time() - t0, 1)})
        return {k: (torch.cat(out[f"{k}V"]), torch.cat(out[f"{k}A"])) for k in ("real", "noise")}

    def step_loss(self, stage: str, idx: list[int], rng, heads) -> tuple[torch.Tensor, int]:
        cfg, cache, dev = self.cfg, self.cache, self.device
        P = self.model.cfg.prefix_length
        if stage == "stage2b":
            rows, looks, noise_rows, noise_looks, noisy = [], [], [], [], []
            for i in idx:
                attrs = cache.clips[i]["attributes"]
                qa = cache.clips[i]["qa"]
                present = {o["shape"] for o in attrs["objects"]}
                asked = {x["q"] for x in qa}
                qa = qa + [{"subset": "negative", "modality": "visual", "q": q, "a": a}
                           for q, a in (shape_negative(sh) for sh in SHAPES if sh not in present) if q not in asked]
                # every Q&A that must find one object, and every false premise; a few of the rest
                core, other = [], []
                for x in qa:
                    look = look_for(self.tok, attrs, x)
                    must = x["subset"] != "pretrain" and (x["subset"] == "negative" or x["modality"] == "visual" or look)
                    (core if must else other).append((x, look))
                picked = [other[k] for k in rng.choice(len(other), size=min(STAGE2B_OTHER_QA, len(other)), replace=False)]
                rows.append([(x["q"], x["a"]) for x, _ in core + picked])
                looks.append([look for _, look in core + picked])
                if i in self.noise_row:
                    visual = [(x, look) for x, look in core if x["modality"] == "visual"]
                    noisy.append(i)
                    noise_rows.append([(x["q"], x["a"]) for x, _ in visual])
                    noise_looks.append([look for _, look in visual])
            (Vr, Ar), (Vn, An) = self.features["real"], self.features["noise"]
            rn = [self.noise_row[i] for i in noisy]
            V, A = torch.cat([Vr[idx], Vn[rn]]), torch.cat([Ar[idx], An[rn]])           # real rows, then noise rows
            prefix = self.model.prefix_from_features(V.float(), A.float())
            qa_lists = rows + noise_rows
            sc = self.stage_config(stage)
            shares = [[sc.first_token_share if q in self.false_premises else 0.0 for q, _ in pairs] for pairs in qa_lists]
            batch = pack_qa(self.tok, qa_lists, P, dev, looks=looks + noise_looks, first_token_shares=shares)
            loss, self.step_acc = packed_loss(self.model, prefix, batch, cfg.lookup, sc.lookup_weight)
            return loss, sum(map(len, qa_lists))
        if stage == "stage0_lm":
            seqs = []
            for i in idx:
                qa = cache.clips[i]["qa"]
                for k in rng.choice(len(qa), size=min(cfg.qa_per_clip, len(qa)), replace=False):
                    seqs.append(encode_prompt(self.tok, qa[k]["q"]) + encode_answer(self.tok, qa[k]["a"]))
            L = max(map(len, seqs))
            ids = torch.zeros(len(seqs), L, dtype=torch.long)
            tgt = torch.full((len(seqs), L), -100, dtype=torch.long)
            for r, sq in enumerate(seqs):                     # text only: every next token counts
                ids[r, :len(sq)] = torch.tensor(sq)
                tgt[r, :len(sq) - 1] = torch.tensor(sq[1:])
            ids, tgt = ids.to(dev), tgt.to(dev)
            mask = (ids != 0).long()
            pos = (torch.arange(L, device=dev) + P).expand(len(seqs), -1)   # as if after a prefix
            logits, _ = self.model.decoder(self.model.embed_tokens(ids), mask, pos)
            return F.cross_entropy(logits.flatten(0, 1), tgt.flatten(), ignore_index=-100), len(seqs)
        f, s = cache.tensors(idx, dev)
        if stage == "stage0_encoders":
            f, s = f[:, STAGE0_FRAMES], s[:, STAGE0_FRAMES]
            V = self.model.vis_enc(f.flatten(0, 1)).unflatten(0, f.shape[:2])      # (B, 4, Lv, D)
            A = self.model.aud_enc(s.flatten(0, 1)).unflatten(0, s.shape[:2])      # (B, 4, La, D)
            y = {k: v.to(dev) for k, v in batch_labels([cache.labels[i] for i in idx]).items()}
            y["lit"], y["sounding"] = y["lit"][:, STAGE0_FRAMES], y["sounding"][:, STAGE0_FRAMES]
            loss, self.step_acc = heads(V, A, y)
            return loss, len(idx)
        qa_lists = []
        for i in idx:
            qa = cache.clips[i]["qa"]
            pre = [x for x in qa if x["subset"] == "pretrain"]
            rest = [x for x in qa if x["subset"] != "pretrain"]
            if stage == "stage1":
                chosen = pre
            else:
                chosen = [rest[k] for k in rng.choice(len(rest), size=min(cfg.qa_per_clip, len(rest)), replace=False)]
                chosen.append(pre[int(rng.integers(len(pre)))])
            qa_lists.append([(x["q"], x["a"]) for x in chosen])
        prefix = self.model.encode(f, s)                                            # (B, P, dim), once per clip
        loss, _ = packed_loss(self.model, prefix, pack_qa(self.tok, qa_lists, P, dev))
        return loss, sum(map(len, qa_lists))


@torch.no_grad()
def quick_eval(model: Dolphin, tok, cache: ClipCache, idx: list[int], device: str) -> dict:
    """Greedy exact match per (subset, modality) on cached held-out clips (eval.py is the real one)."""
    from .infer import Runner, _TorchBackend

    runner = Runner(_TorchBackend(model, device), tok)
    hits: dict[str, list[int]] = {}
    for i in idx:
        f, s = cache.tensors([i], device)
        prefix = runner.prefix(f.cpu().numpy(), s.cpu().numpy())
        qa = [x for x in cache.clips[i]["qa"] if x["subset"] != "pretrain"]
        answers = runner.answer(None, None, [x["q"] for x in qa], max_new_tokens=24, prefix=prefix)
        for x, a in zip(qa, answers):
            key = f"{x['subset']}/{x['modality']}"
            hits.setdefault(key, []).append(int(a.strip().lower() == x["a"].strip().lower()))
    return {k: round(sum(v) / len(v), 3) for k, v in sorted(hits.items())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--out", help="override out_dir")
    ap.add_argument("--steps-scale", type=float, default=1.0, help="multiply every stage's steps (tests)")
    args = ap.parse_args(argv)
    cfg = TrainConfig.load(args.config)
    if args.out:
        cfg.out_dir = args.out
    for k in ("stage0", "stage0_lm", "stage1", "stage2", "stage2b"):
        sc = getattr(cfg, k)
        if sc is not None:
            sc.steps = max(1, int(sc.steps * args.steps_scale))
    device = cfg.device if cfg.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu":
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
    log({"event": "start", "config": args.config, "device": device, "threads": torch.get_num_threads()})
    tr = Trainer(cfg, out, device)
    tr.prepare()
    tr.build()
    tr.run()
    if cfg.val_clips:
        n = len(tr.cache)
        res = quick_eval(tr.model, tr.tok, tr.cache, list(range(n - cfg.val_clips, n)), device)
        log({"event": "quick_eval", "clips": cfg.val_clips, "exact_match": res})
        (out / "quick_eval.json").write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
