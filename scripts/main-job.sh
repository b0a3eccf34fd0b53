#!/usr/bin/env bash
# The main job on a new machine: install what is missing, build, copy the bundled AVU-Synth clips into a fresh
# folder and open it in VS Code with AVU Studio loaded from this checkout (--extensionDevelopmentPath).
#   - a local `code` CLI: `code --extensionDevelopmentPath=<repo> <folder>` (waits until the window closes);
#   - otherwise code-server (scripts/install-code-server.sh, from npm) on 127.0.0.1 at a free port, no auth,
#     with its own user-data and extensions dirs under out/main-job/code-server; prints the URL to open and
#     stays in the foreground until Ctrl-C, then stops code-server.
# Usage: bash scripts/main-job.sh        Env: AVU_PORT=<port> (default: a free one), AVU_MAIN_JOB_CODE_SERVER=1
#                                        (code-server even where `code` exists)
# Needs Node ≥ 20.18 with npm. As root on Debian/Ubuntu it apt-installs what is missing (ffmpeg; for
# code-server's native modules libkrb5-dev, ripgrep, build-essential, python3); otherwise it says what to install.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
say() { echo "main-job: $*" >&2; }

# Node ≥ 20.18 (package.json engines).
if ! command -v node >/dev/null || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=18)?0:1)'; then
  say "needs Node ≥ 20.18 with npm on PATH (found: $(node --version 2>/dev/null || echo none))"
  exit 1
fi

use_code=0
if command -v code >/dev/null && [ -z "${AVU_MAIN_JOB_CODE_SERVER:-}" ]; then use_code=1; fi

# System packages: only what is missing, only as root with apt-get.
need_apt=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || need_apt+=(ffmpeg)
if [ "$use_code" = 0 ] && [ ! -x .vscode-test/code-server/node_modules/.bin/code-server ]; then
  { [ -f /usr/include/gssapi/gssapi.h ] || [ -f /usr/include/gssapi.h ]; } || need_apt+=(libkrb5-dev)
  command -v rg >/dev/null || need_apt+=(ripgrep)
  command -v g++ >/dev/null && command -v make >/dev/null || need_apt+=(build-essential)
  command -v python3 >/dev/null || need_apt+=(python3)
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "apt-get install ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  elif [ "${need_apt[*]}" = ffmpeg ]; then
    say "ffmpeg/ffprobe are not on PATH (apt-get install ffmpeg); the extension falls back to the npm-bundled ones"
  else
    say "missing: ${need_apt[*]}; install them (e.g. sudo apt-get install ${need_apt[*]}) and run this again"
    exit 1
  fi
fi

# npm dependencies (again when package-lock.json changed since the last install), then the build.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build

# A fresh copy of the samples: the extension writes its dataset store (.avu/) into the folder it opens.
[ -d samples/avu-synth ] || { say "samples/avu-synth is not in this checkout"; exit 1; }
folder="$ROOT/out/main-job/avu-synth-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$(dirname "$folder")"
cp -r samples/avu-synth "$folder"
say "clips: $folder ($(ls "$folder"/*.mp4 | wc -l) clips)"

if [ "$use_code" = 1 ]; then
  say "code --extensionDevelopmentPath=$ROOT $folder  (close the window to end)"
  exec code --new-window --wait --extensionDevelopmentPath="$ROOT" "$folder"
fi

bash scripts/install-code-server.sh
BIN="$ROOT/.vscode-test/code-server/node_modules/.bin/code-server"
state="$ROOT/out/main-job/code-server"
mkdir -p "$state/user/User" "$state/extensions"
[ -f "$state/user/User/settings.json" ] || cat > "$state/user/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "update.mode": "none",
  "workbench.enableExperiments": false,
  "git.openRepositoryInParentFolders": "never"
}
JSON

port="${AVU_PORT:-$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}"
host="127.0.0.1:$port"
log="$state/server.log"
# setsid: code-server leads its own process group (its extension host and watchers included), stopped as one.
setsid "$BIN" --bind-addr "$host" --auth none --config "$state/config.yaml" \
  --user-data-dir "$state/user" --extensions-dir "$state/extensions" \
  --disable-telemetry --disable-update-check --disable-getting-started-override --disable-workspace-trust \
  >"$log" 2>&1 </dev/null &
pid=$!
stop() {
  trap - INT TERM EXIT
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in 1 2 3 4 5 6; do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  say "code-server stopped"
}
trap 'echo >&2; stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

# Wait for /healthz (node's fetch: curl may not be installed).
if ! node -e '
  const url = process.argv[1], deadline = Date.now() + 60000;
  (async () => {
    while (Date.now() < deadline) {
      try { if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).ok) return; } catch {}
      await new Promise((r) => setTimeout(r, 250));
    }
    process.exit(1);
  })();' "http://$host/healthz"; then
  say "code-server did not start on $host; its log ($log):"
  tail -n 20 "$log" >&2
  exit 1
fi

# The workbench URL, as test/vscode/code-server.ts builds it: the folder, and this checkout as the extension.
url="$(node -e '
  const [host, folder, ext] = process.argv.slice(1);
  const payload = [["extensionDevelopmentPath", `vscode-remote://${host}${ext}`]];
  console.log(`http://${host}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);' \
  "$host" "$folder" "$ROOT")"
cat <<EOF

AVU Studio is running in code-server (VS Code $("$BIN" --version 2>/dev/null | sed -n 's/.* with Code //p' | head -1)), log: $log
Open in a browser on this machine:

  $url

From another machine: ssh -L $port:127.0.0.1:$port <this machine>, then open the same URL there.
Ctrl-C stops code-server.
EOF
wait "$pid" || true
say "code-server exited; log: $log"
