"""Evaluation of a Dolphin checkpoint or bundle on held-out AVU-Synth MP4 clips.

    python -m avu_trainer.eval --model CKPT_OR_BUNDLE --clips DIR --out eval.json
        [--generate 500 --seed 1000000] [--ablation name=path ...] [--max-clips N]

`--generate N` first writes the held-out clips (AVU-Synth MP4, seeds S .. S+N-1; existing clips are
kept), so one command reproduces an eval.json. Training uses other seeds (10_000_000 and up).

Each clip is decoded as inference sees it (ffmpeg, then the preprocess recipes) and every Q&A of
its ground-truth JSON is asked, one question at a time without conversation history.

Metrics (all answers compared after `normalise`):
- accuracy per subset and modality: normalised exact match; captions and keyword lists (the
  pretrain subset) are scored by keyword F1 instead, and AVE answers also by temporal IoU >= 0.5.
- negatives: rejection rate on the negative subset, false-rejection rate on every answerable
  question (all other subsets). The rejection detector: a normalised answer that starts with
  "there is no" or "there are no" (AVU-Synth writes every rejection that way).
- audio reliance (paper Figure 1): the Specific audio and Specific visual questions are asked again
  with the decoded audio replaced by white noise (std WHITE_NOISE_STD) and by silence; reported
  is the fraction of answers that change. Audio answers should change, visual answers should not.
- diagnostics: accuracy per question template (`by_question`), accuracy of Specific questions per
  consistency level, and the share of closed-set answers that are in AVU-Synth's vocabulary.
- ablations (paper Table 5(a)): the same metrics for each `--ablation name=path`, in one table.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from .vocab import template_of, in_vocabulary

WHITE_NOISE_STD = 0.1   # = preprocess.WHITE_NOISE_STD (preprocess loads torchaudio; this module does not need it)
EVAL_SEED = 1_000_000
REJECTION_PREFIXES = ("there is no", "there are no")
ARTICLES = {"a", "an", "the"}
STOPWORDS = ARTICLES | {"is", "are", "of", "at", "in", "on", "and", "it", "its", "to", "from",
                        "which", "with", "while", "but", "by", "be", "this", "that", "under"}
TARGETS = {"specific_audio_accuracy": 0.85, "specific_visual_accuracy": 0.85,
           "negative_rejection_rate": 0.90, "false_rejection_rate_max": 0.05,
           "audio_changed_under_noise": 0.90, "visual_changed_under_noise_max": 0.10}


# ---------------------------------------------------------------------------- answer metrics

def normalise(text: str) -> str:
    """Lower case, punctuation to spaces (the decimal point of numbers kept), single spaces,
    no leading article."""
    s = text.lower().strip()
    s = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", s)
    s = re.sub(r"[^\w\s.]", " ", s)
    words = s.split()
    while words and words[0] in ARTICLES:
        words = words[1:]
    return " ".join(words)


def exact_match(pred: str, gold: str) -> bool:
    return normalise(pred) == normalise(gold)


def is_rejection(answer: str) -> bool:
    return normalise(answer).startswith(REJECTION_PREFIXES)


def keywords(text: str) -> list[str]:
    return [w for w in normalise(text).replace(";", " ").replace(":", " ").split()
            if w not in STOPWORDS]


def keyword_f1(pred: str, gold: str) -> float:
    """F1 over the multisets of content words (captions, keyword lists)."""
    p, g = keywords(pred), keywords(gold)
    if not p and not g:
        return 1.0
    if not p or not g:
        return 0.0
    common = 0
    rest = list(g)
    for w in p:
        if w in rest:
            rest.remove(w)
            common += 1
    if common == 0:
        return 0.0
    prec, rec = common / len(p), common / len(g)
    return 2 * prec * rec / (prec + rec)


_SPAN = re.compile(r"(\d+(?:\.\d+)?)\s*(?:s|seconds)?\s*(?:to|-)\s*(\d+(?:\.\d+)?)")


def parse_span(text: str) -> tuple[float, float] | None:
    m = _SPAN.search(text.lower())
    if not m:
        return None
    a, b = float(m.group(1)), float(m.group(2))
    return (a, b) if b > a else None


def temporal_iou(pred: str, gold: str) -> float:
    p, g = parse_span(pred), parse_span(gold)
    if p is None or g is None:
        return 0.0
    inter = max(0.0, min(p[1], g[1]) - max(p[0], g[0]))
    union = max(p[1], g[1]) - min(p[0], g[0])
    return inter / union if union > 0 else 0.0


def score_item(item: dict, pred: str) -> dict:
    """One question's scores: 'score' is what the subset accuracy averages."""
    gold = item["a"]
    if item["subset"] == "pretrain":
        s = keyword_f1(pred, gold)
        return {"score": s, "metric": "keyword_f1"}
    out = {"score": float(exact_match(pred, gold)), "metric": "exact_match"}
    if item.get("task") == "ave":
        out["iou"] = temporal_iou(pred, gold)
    return out


# ------------------------------------------------------------------------------- features

def clip_inputs(path: str) -> dict:
    """Frames, and spectrograms with the real audio, white noise and silence (a pool worker)."""
    import torch

    from . import preprocess as P

    torch.set_num_threads(1)
    info = P.probe(path)
    dur = info["durationS"]
    frames = P.decode_frames(path, P.frame_times(dur), info["width"], info["height"])
    wave = P.decode_audio(path) if info["hasAudio"] else np.zeros(0, np.float32)
    n = max(len(wave), int(round(dur * P.SAMPLE_RATE_HZ)))
    seed = int.from_bytes(Path(path).name.encode()[:8].ljust(8, b"\0"), "little") % (2 ** 32)
    noise = P.white_noise(n, seed)
    return {"path": path, "frames": P.frames_to_tensor(frames),
            "spec": {"real": P.waveform_to_fbank(wave, dur),
                     "noise": P.waveform_to_fbank(noise, dur),
                     "silence": P.waveform_to_fbank(np.zeros(n, np.float32), dur)}}


def list_clips(clips_dir: str | Path, max_clips: int | None = None) -> list[tuple[Path, dict]]:
    out = []
    for js in sorted(Path(clips_dir).glob("*.json")):
        mp4 = js.with_suffix(".mp4")
        if not mp4.exists():
            continue
        gt = json.loads(js.read_text())
        if "qa" not in gt:
            continue
        out.append((mp4, gt))
        if max_clips and len(out) >= max_clips:
            break
    return out


# ---------------------------------------------------------------------------------- running

def _reliance_items(gt: dict) -> dict[str, list[int]]:
    return {m: [k for k, q in enumerate(gt["qa"]) if q["subset"] == "specific" and q["modality"] == m]
            for m in ("audio", "visual")}


def _ask(runner, frames, spec, questions: list[str], idx: list[int], max_new_tokens: int) -> dict[int, str]:
    if not idx:
        return {}
    return dict(zip(idx, runner.answer(frames, spec, [questions[k] for k in idx], max_new_tokens)))


def evaluate_runners(runners: dict, clips: list[tuple[Path, dict]], max_new_tokens: int = 48,
                     short_max_new_tokens: int = 16, workers: int = 2, reliance: bool = True,
                     clip_limits: dict[str, int] | None = None, log=None) -> dict:
    """Ask every runner every question of every clip; returns {name: per-question records}.

    Captions and keyword lists (pretrain) get `max_new_tokens`; every other answer is short and
    gets `short_max_new_tokens`, in its own batch so one long caption does not hold it up.
    `clip_limits[name]` evaluates that runner on the first clips only (ablations).
    """
    records: dict[str, list[dict]] = {name: [] for name in runners}
    limits = clip_limits or {}
    paths = [str(p) for p, _ in clips]
    pool = get_context("spawn").Pool(workers) if workers > 1 else None
    it = pool.imap(clip_inputs, paths) if pool else map(clip_inputs, paths)
    t0 = time.time()
    try:
        for ci, ((path, gt), inp) in enumerate(zip(clips, it), 1):
            qs = [q["q"] for q in gt["qa"]]
            long_idx = [k for k, q in enumerate(gt["qa"]) if q["subset"] == "pretrain"]
            short_idx = [k for k, q in enumerate(gt["qa"]) if q["subset"] != "pretrain"]
            rel = _reliance_items(gt)
            for name, runner in runners.items():
                if ci > limits.get(name, len(clips)):
                    continue
                frames, real = inp["frames"], inp["spec"]["real"]
                preds = {**_ask(runner, frames, real, qs, long_idx, max_new_tokens),
                         **_ask(runner, frames, real, qs, short_idx, short_max_new_tokens)}
                alt = {v: _ask(runner, frames, inp["spec"][v], qs, rel["audio"] + rel["visual"],
                               short_max_new_tokens) for v in (("noise", "silence") if reliance else ())}
                for k, item in enumerate(gt["qa"]):
                    pred = preds[k]
                    rec = {"clip": path.name, "level": gt["level"], "subset": item["subset"],
                           "modality": item["modality"], "task": item.get("task"), "q": item["q"],
                           "gold": item["a"], "pred": pred, **score_item(item, pred)}
                    for variant, ans in alt.items():
                        if k in ans:
                            rec[f"pred_{variant}"] = ans[k]
                    records[name].append(rec)
            if log and (ci % 25 == 0 or ci == len(clips)):
                el = time.time() - t0
                log(json.dumps({"clips_done": ci, "total": len(clips), "elapsed_s": round(el, 1),
                                "eta_s": round(el / ci * (len(clips) - ci), 1)}))
    finally:
        if pool:
            pool.close()
            pool.join()
    return records


def _rate(xs: list[float]) -> float | None:
    return round(float(np.mean(xs)), 4) if xs else None


def summarise(records: list[dict]) -> dict:
    """Metrics of one model from its per-question records."""
    by: dict[str, list[float]] = defaultdict(list)
    for r in records:
        by[f"{r['subset']}/{r['modality']}"].append(r["score"])
    accuracy = {k: {"score": _rate(v), "n": len(v),
                    "metric": "keyword_f1" if k.startswith("pretrain/") else "exact_match"}
                for k, v in sorted(by.items())}
    by_level: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if r["subset"] == "specific":
            by_level[f"{r['level']}/{r['modality']}"].append(r["score"])
    by_template: dict[str, list[float]] = defaultdict(list)
    in_vocab: list[float] = []
    for r in records:
        if r["subset"] == "pretrain":
            continue
        found = template_of(r["q"])
        by_template[f"{r['subset']}/{r['modality']}: {found[0] if found else r['q']}"].append(r["score"])
        ok = in_vocabulary(r["q"], r["pred"])
        if ok is not None:
            in_vocab.append(float(ok))
    ave_iou = [r["iou"] for r in records if "iou" in r]
    neg = [float(is_rejection(r["pred"])) for r in records if r["subset"] == "negative"]
    answerable = [float(is_rejection(r["pred"])) for r in records if r["subset"] != "negative"]
    reliance = {}
    for m in ("audio", "visual"):
        rs = [r for r in records if r["subset"] == "specific" and r["modality"] == m]
        reliance[m] = {"n": len(rs)}
        for variant in ("noise", "silence"):
            ch = [float(normalise(r[f"pred_{variant}"]) != normalise(r["pred"]))
                  for r in rs if f"pred_{variant}" in r]
            reliance[m][f"changed_under_{variant}"] = _rate(ch)
        reliance[m]["accuracy_real"] = _rate([r["score"] for r in rs])
    out = {
        "n_questions": len(records),
        "n_clips": len({r["clip"] for r in records}),
        "accuracy": accuracy,
        "specific_by_level": {k: _rate(v) for k, v in sorted(by_level.items())},
        "by_question": {k: {"score": _rate(v), "n": len(v)} for k, v in sorted(by_template.items())},
        "answers_in_vocabulary": _rate(in_vocab),
        "ave_iou_at_0_5": _rate([float(x >= 0.5) for x in ave_iou]),
        "ave_mean_iou": _rate(ave_iou),
        "negatives": {"rejection_rate": _rate(neg), "n_negative": len(neg),
                      "false_rejection_rate": _rate(answerable), "n_answerable": len(answerable),
                      "detector": f"normalised answer starts with {' or '.join(map(repr, REJECTION_PREFIXES))}"},
        "audio_reliance": reliance,
    }
    out["acceptance"] = acceptance(out)
    return out


def acceptance(s: dict) -> dict:
    acc = s["accuracy"]
    vals = {
        "specific_audio_accuracy": acc.get("specific/audio", {}).get("score"),
        "specific_visual_accuracy": acc.get("specific/visual", {}).get("score"),
        "negative_rejection_rate": s["negatives"]["rejection_rate"],
        "false_rejection_rate_max": s["negatives"]["false_rejection_rate"],
        "audio_changed_under_noise": s["audio_reliance"]["audio"].get("changed_under_noise"),
        "visual_changed_under_noise_max": s["audio_reliance"]["visual"].get("changed_under_noise"),
    }
    out = {}
    for k, target in TARGETS.items():
        v = vals[k]
        ok = None if v is None else (v <= target if k.endswith("_max") else v >= target)
        out[k] = {"value": v, "target": target, "pass": ok}
    out["all_pass"] = all(x["pass"] for x in out.values() if isinstance(x, dict))
    return out


def ablation_table(summaries: dict[str, dict]) -> list[dict]:
    """Table 5(a) style: one row per model with the headline metrics."""
    rows = []
    for name, s in summaries.items():
        acc = s["accuracy"]
        rows.append({
            "model": name,
            "specific_audio": acc.get("specific/audio", {}).get("score"),
            "specific_visual": acc.get("specific/visual", {}).get("score"),
            "multi_qa": acc.get("multi_qa/av", {}).get("score"),
            "tasks": acc.get("tasks/av", {}).get("score"),
            "caption_f1_av": acc.get("pretrain/av", {}).get("score"),
            "negative_rejection": s["negatives"]["rejection_rate"],
            "false_rejection": s["negatives"]["false_rejection_rate"],
            "audio_changed_noise": s["audio_reliance"]["audio"].get("changed_under_noise"),
            "visual_changed_noise": s["audio_reliance"]["visual"].get("changed_under_noise"),
        })
    return rows


# ------------------------------------------------------------------------------------- CLI

def _parse_ablation(spec: str) -> tuple[str, str]:
    if "=" not in spec:
        raise argparse.ArgumentTypeError(f"--ablation wants name=path, got {spec!r}")
    name, path = spec.split("=", 1)
    return name, path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m avu_trainer.eval", description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="checkpoint or bundle directory")
    p.add_argument("--clips", required=True, help="directory of AVU-Synth MP4 clips with their JSON")
    p.add_argument("--out", required=True, help="eval.json to write")
    p.add_argument("--ablation", action="append", type=_parse_ablation, default=[],
                   help="name=path of an ablation checkpoint (repeatable)")
    p.add_argument("--generate", type=int, default=0, metavar="N",
                   help="first write N held-out AVU-Synth MP4 clips into --clips (resumable)")
    p.add_argument("--seed", type=int, default=EVAL_SEED, help="seed of the first generated clip")
    p.add_argument("--max-clips", type=int, default=None)
    p.add_argument("--max-new-tokens", type=int, default=48, help="for captions and keyword lists")
    p.add_argument("--short-max-new-tokens", type=int, default=16, help="for every other answer")
    p.add_argument("--ablation-max-clips", type=int, default=None,
                   help="evaluate ablations on the first N clips only (default: all)")
    p.add_argument("--workers", type=int, default=2, help="decoding processes")
    p.add_argument("--no-reliance", action="store_true", help="skip the noise/silence reruns")
    p.add_argument("--records", default=None, help="also write every question's answers (jsonl)")
    a = p.parse_args(argv)

    if a.generate:
        from .synth.writer import write_mp4_clips

        write_mp4_clips(a.clips, a.generate, a.seed, workers=a.workers)
    clips = list_clips(a.clips, a.max_clips)
    if not clips:
        print(f"error: no AVU-Synth clips (.mp4 + .json) in {a.clips}", file=sys.stderr)
        return 2
    from .infer import load_model

    t0 = time.time()
    runners = {"full": load_model(a.model)}
    for name, path in a.ablation:
        runners[name] = load_model(path)
    log = lambda line: print(line, file=sys.stderr, flush=True)
    limits = {n: a.ablation_max_clips for n, _ in a.ablation} if a.ablation_max_clips else None
    records = evaluate_runners(runners, clips, a.max_new_tokens, a.short_max_new_tokens, a.workers,
                               reliance=not a.no_reliance, clip_limits=limits, log=log)
    summaries = {name: summarise(recs) for name, recs in records.items()}
    result = {
        "model": str(a.model), "clips_dir": str(a.clips), "n_clips": len(clips),
        "levels": {lvl: sum(1 for _, g in clips if g["level"] == lvl) for lvl in ("high", "medium", "low")},
        "white_noise_std": WHITE_NOISE_STD,
        **summaries["full"],
        "ablations": {"table": ablation_table(summaries) if len(summaries) > 1 else [],
                      "models": {n: str(pth) for n, pth in a.ablation},
                      "max_clips": a.ablation_max_clips,
                      "details": {n: s for n, s in summaries.items() if n != "full"}},
        "wall_s": round(time.time() - t0, 1),
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=1) + "\n")
    if a.records:
        with open(a.records, "w") as f:
            for name, recs in records.items():
                for r in recs:
                    f.write(json.dumps({"model": name, **r}) + "\n")
    print(json.dumps({"out": a.out, "acceptance": result["acceptance"], "wall_s": result["wall_s"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
