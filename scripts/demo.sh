#!/usr/bin/env bash
# The CLI demo, without VS Code: build, then probe, extract features from and caption a bundled AVU-Synth clip
# with the bundled tiny Dolphin (models/dolphin-tiny). Steps whose issue has not landed yet say so and the demo
# goes on. The main job (VS Code with the extension and the samples open) is scripts/main-job.sh.
# Usage: bash scripts/demo.sh [clip]      (default: the first samples/avu-synth/*.mp4, else a generated clip)
set -uo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund || exit 1
npm run --silent build || exit 1

clip="${1:-}"
if [ -z "$clip" ]; then
  for c in samples/avu-synth/*.mp4; do [ -f "$c" ] && { clip="$c"; break; }; done
fi
if [ -z "$clip" ]; then
  # No bundled samples yet: a 4 s test pattern with a tone is enough to show the media pipeline.
  mkdir -p out/demo
  clip=out/demo/generated.mp4
  ffmpeg -v error -y -f lavfi -i testsrc2=size=640x360:rate=25:duration=4 \
    -f lavfi -i sine=frequency=440:sample_rate=48000:duration=4 \
    -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest "$clip" || exit 1
fi
name="$(basename "$clip")"
out="out/demo/${name%.*}"
mkdir -p "$out"
failed=()
step() {
  echo "\$ avu $*" >&2
  node dist/cli.js "$@" || failed+=("avu $1")
}
step probe "$clip"
step features "$clip" --out "$out/features"
if [ -f models/dolphin-tiny/manifest.json ]; then
  step caption "$clip" --model models/dolphin-tiny --no-store   # prints only: no .avu/ store beside the bundled samples
else
  echo "(skipping caption: models/dolphin-tiny is not in this checkout yet)" >&2
fi
if [ "${#failed[@]}" -gt 0 ]; then
  echo "demo: not available or failed: ${failed[*]}" >&2
  exit 1
fi
echo "demo: done; features in $out/features" >&2
