#!/usr/bin/env bash
# Installs code-server (a real VS Code: web workbench + Node extension host) from the npm registry into a
# project-local folder, so the integration and UI tests can run without downloading VS Code at test time.
# Idempotent: does nothing when the wanted version is already installed.
#
# Usage: bash scripts/install-code-server.sh [DEST]     (default: .vscode-test/code-server)
# Needs (apt): libkrb5-dev (kerberos' native build), ripgrep (replaces @vscode/ripgrep's GitHub download).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="${1:-$ROOT/.vscode-test/code-server}"
CS_VERSION="${CS_VERSION:-4.100.3}"   # VS Code 1.100.3: the newest code-server that runs on Node 20
BIN="$DEST/node_modules/.bin/code-server"

if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "^$CS_VERSION "; then
  echo "code-server $CS_VERSION already installed in $DEST" >&2
  exit 0
fi

for tool in rg npm node; do
  command -v "$tool" >/dev/null || { echo "install-code-server: '$tool' not found on PATH (apt-get install ripgrep nodejs npm)" >&2; exit 1; }
done
if ! { [ -f /usr/include/gssapi/gssapi.h ] || [ -f /usr/include/gssapi.h ]; }; then
  echo "install-code-server: Kerberos headers missing (apt-get install libkrb5-dev)" >&2
  exit 1
fi

start=$(date +%s)
mkdir -p "$DEST"
cd "$DEST"
# A private package.json. allowScripts approves the install scripts code-server needs: npm 11 here runs no
# dependency install scripts unless they are approved, and code-server's postinstall builds its VS Code.
cat > package.json <<JSON
{
  "name": "avu-code-server",
  "private": true,
  "description": "code-server for AVU Studio's integration tests (scripts/install-code-server.sh)",
  "allowScripts": {
    "code-server": true,
    "argon2": true,
    "kerberos": true,
    "node-pty": true,
    "@vscode/ripgrep": true,
    "@vscode/spdlog": true,
    "@vscode/deviceid": true,
    "@vscode/windows-registry": true,
    "@vscode/policy-watcher": true,
    "@parcel/watcher": true,
    "native-watchdog": true,
    "node-addon-api": true
  }
}
JSON

# @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache (in os.tmpdir()) already holds the
# archive: put Debian's rg there under the expected name.
export TMPDIR="$DEST/tmp"
RGC="$TMPDIR/vscode-ripgrep-cache-1.15.11"   # code-server 4.100.3 pins @vscode/ripgrep 1.15.11
mkdir -p "$RGC"
cp "$(command -v rg)" "$RGC/rg"
tar -C "$RGC" -czf "$RGC/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" rg
rm "$RGC/rg"

export npm_config_unsafe_perm=true   # code-server's postinstall.sh refuses to run as root without it
export npm_config_yes=true           # node-pty's postinstall runs `npx node-gyp`; a global npmrc may say yes=false
npm install "code-server@$CS_VERSION" --foreground-scripts --no-audit --no-fund --loglevel=error

# The postinstall builds code-server's own VS Code dependencies; without them the server starts but cannot serve.
if [ ! -f "$DEST/node_modules/code-server/lib/vscode/node_modules/node-pty/build/Release/pty.node" ]; then
  echo "install-code-server: code-server's postinstall did not run (npm skipped install scripts?)" >&2
  exit 1
fi
if ! "$BIN" --version >/dev/null 2>&1; then
  echo "install-code-server: code-server was installed but does not start (see the npm output above)" >&2
  exit 1
fi
rm -rf "$TMPDIR"
echo "code-server $("$BIN" --version 2>/dev/null | head -1) installed in $DEST in $(( $(date +%s) - start ))s" >&2
