#!/usr/bin/env bash
# The shipped tiny Dolphin end to end: the full recipe, the Table 5(a) ablations on equal step budgets from the
# full run's stage 0, the bundle, and eval.json (500 held-out clips; ablations on the first 150).
# Run from the repository root: bash trainer/scripts/tiny-with-ablations.sh   (2-core CPU: about 1 h 45 min)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${AVU_PYTHON:-.venv/bin/python}
[ -f /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ] && export LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 \
  MALLOC_CONF=oversize_threshold:0,dirty_decay_ms:5000,muzzy_decay_ms:5000
mkdir -p trainer/runs/tiny
"$PY" -m avu_trainer.train --config trainer/configs/tiny.json | tee -a trainer/runs/tiny/train.log
ABLATIONS=(full no-inter-modal no-adapter no-bidir-context no-interleaved-merging)
for name in "${ABLATIONS[@]}"; do
  mkdir -p "trainer/runs/ablation-$name"
  "$PY" -m avu_trainer.train --config "trainer/configs/ablations/$name.json" | tee -a "trainer/runs/ablation-$name/train.log"
done
cd trainer
"$PY" -m avu_trainer.export --checkpoint runs/tiny/final.pt --out ../models/dolphin-tiny
args=()
for name in "${ABLATIONS[@]}"; do
  label=$name; [ "$name" = full ] && label=full-same-budget      # "full" is the shipped model's row
  args+=(--ablation "$label=runs/ablation-$name/final.pt")
done
"$PY" -m avu_trainer.eval --model ../models/dolphin-tiny --clips data/eval-clips --generate 500 --seed 1000000 \
  --ablation-max-clips 150 "${args[@]}" --out ../models/dolphin-tiny/eval.json
"$PY" -m avu_trainer.export --rehash --out ../models/dolphin-tiny
