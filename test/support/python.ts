// Runs a Python reference script with the interpreter src/core/python.ts finds. A missing Python or torch is a
// test failure with a message that says how to install it (CI installs it), never a skip.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { findPython } from '../../src/core/python';

export const REPO_ROOT = resolve(__dirname, '..', '..');

export function runPython(script: string, args: string[], timeoutMs = 300_000): string {
  const python = findPython(REPO_ROOT);
  const r = spawnSync(python, [resolve(REPO_ROOT, script), ...args], { encoding: 'utf8', timeout: timeoutMs, cwd: REPO_ROOT });
  if (r.error) throw new Error(`Could not run Python '${python}' (${r.error.message}); install Python with torch, torchaudio, numpy and pillow (pip install -e 'trainer[test]') or set AVU_PYTHON.`);
  if (r.status !== 0) {
    const missing = /ModuleNotFoundError: No module named '([^']+)'/.exec(r.stderr);
    if (missing) throw new Error(`Python '${python}' lacks the module '${missing[1]}' needed by ${script}; install the reference packages (pip install -e 'trainer[test]') or set AVU_PYTHON.`);
    throw new Error(`${script} failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  }
  return r.stdout;
}
