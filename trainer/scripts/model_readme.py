"""Writes models/dolphin-tiny/README.md from the bundle's eval.json and the run's train.log.

    python trainer/scripts/model_readme.py --bundle models/dolphin-tiny --log trainer/runs/tiny/train.log \
        --made-by made-by.md --weaknesses weaknesses.md

made-by.md and weaknesses.md are short hand-written paragraphs (how this bundle was made, what it still gets
wrong); the tables come from the files, so they cannot drift from eval.json.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

INTRO = """# dolphin-tiny

A tiny Dolphin (paper section 3: ViT encoders in 4 blocks, AV multi-scale adapter, AV interleaved merging, three
2-layer GELU projectors, LLaMA-style decoder) trained from scratch on AVU-Synth on a shared 2-core CPU. It is the
default model of AVU Studio; it knows only the AVU-Synth world (coloured shapes that ring, buzz, whistle, rattle).
"""

ABLATION_TEXT = """## Ablations (paper Table 5(a))

Each ablation starts from this run's stage 0 (same frozen encoders, LLM and tokenizer: `init_from`) and trains
stages 1-2 on an equal step budget (stage 1 80 steps, stage 2 150 steps, all of a clip's Q&A per step):
`trainer/configs/ablations/*.json`. `full-same-budget` is the full architecture on that budget, the fair row to
compare them with; `full` is this bundle, over all 500 clips; the other rows over the first 150. The ablation runs
have neither stage 2b nor its where-to-look loss: they compare the paper's architecture switches, not our training.
"""

EVAL_COMMAND = """```
cd trainer && ../.venv/bin/python -m avu_trainer.eval --model ../models/dolphin-tiny --clips data/eval-clips --generate 500 --seed 1000000 \\
  --ablation-max-clips 150 --ablation full-same-budget=runs/ablation-full/final.pt --ablation no-inter-modal=runs/ablation-no-inter-modal/final.pt \\
  --ablation no-adapter=runs/ablation-no-adapter/final.pt --ablation no-bidir-context=runs/ablation-no-bidir-context/final.pt \\
  --ablation no-interleaved-merging=runs/ablation-no-interleaved-merging/final.pt --out ../models/dolphin-tiny/eval.json
```
"""

FILES = """## Files

`manifest.json` (docs/bundle.md), `av_encoder.onnx`, `embed_tokens.onnx`, `decoder.onnx` (opset 17),
`tokenizer.json`, `golden/` (parity fixtures), `eval.json`, `weights.safetensors` (the trainable weights
`avu finetune` starts from: recovered from the graphs' initializers by `avu_trainer.onnx_weights`, since the
run's checkpoint was not kept; `trainer/tests/test_bundle_weights.py` shows they give the golden outputs).
"""


def last_losses(logs: list[Path]) -> str:
    last: dict[str, dict] = {}
    for line in (x for log in logs for x in log.read_text().splitlines()):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "loss" in rec and "stage" in rec:
            last[rec["stage"]] = rec
    return ", ".join(f"{s} step {r['step']} loss {r['loss']}" for s, r in last.items())


def table(header: list[str], rows: list[list]) -> str:
    fmt = lambda v: f"{v:.4f}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--log", required=True, nargs="+", help="train.log of the run (JSON lines), in stage order")
    ap.add_argument("--made-by", required=True, help="markdown: how this bundle was made")
    ap.add_argument("--weaknesses", required=True, help="markdown: what it still gets wrong")
    args = ap.parse_args()
    bundle = Path(args.bundle)
    ev = json.loads((bundle / "eval.json").read_text())
    parts = [INTRO, "## How it was made\n\n" + Path(args.made_by).read_text().strip() + "\n"
             + f"- last logged losses: {last_losses([Path(x) for x in args.log])}\n"]
    parts.append(f"## Evaluation ({ev['n_clips']} held-out MP4 clips, seeds 1,000,000+, decoded with ffmpeg; `eval.json`)\n\n"
                 + EVAL_COMMAND)
    parts.append(table(["metric", "value", "target", "pass"],
                       [[k, float(v["value"]), v["target"], "yes" if v["pass"] else "no"]
                        for k, v in ev["acceptance"].items() if k != "all_pass"]))
    parts.append(table(["subset/modality", "score", "n", "metric"],
                       [[k, float(v["score"]), v["n"], v["metric"]] for k, v in sorted(ev["accuracy"].items())]))
    named = [[k, f"{v['score']:.3f}", v["n"]] for k, v in sorted(ev["by_question"].items())
             if k.startswith(("negative/", "specific/visual"))]
    parts.append("Questions that name a shape, and the negatives:\n\n" + table(["question", "score", "n"], named))
    parts.append(f"Negatives: rejection rate {ev['negatives']['rejection_rate']:.4f} over {ev['negatives']['n_negative']} "
                 f"false-premise questions; false rejections {ev['negatives']['false_rejection_rate']:.4f} over "
                 f"{ev['negatives']['n_answerable']} answerable ones. Audio reliance (white noise for audio): "
                 f"{ev['audio_reliance']['audio']['changed_under_noise']:.3f} of audio answers change, "
                 f"{ev['audio_reliance']['visual']['changed_under_noise']:.3f} of visual ones.\n")
    cols = ["specific_audio", "specific_visual", "multi_qa", "tasks", "caption_f1_av", "negative_rejection",
            "false_rejection", "audio_changed_noise", "visual_changed_noise"]
    rows = [[r["model"], *(f"{r[c]:.3f}" for c in cols)] for r in ev["ablations"]["table"]]
    parts.append(ABLATION_TEXT + "\n" + table(["model", *cols], rows))
    parts.append("## Known weaknesses\n\n" + Path(args.weaknesses).read_text().strip() + "\n")
    parts.append(FILES)
    (bundle / "README.md").write_text("\n".join(parts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
