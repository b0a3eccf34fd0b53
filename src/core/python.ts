import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The Python interpreter for reference implementations and the trainer: $AVU_PYTHON, the repo's .venv, else python3. */
export function findPython(repoRoot: string = resolve(__dirname, '..')): string {
  const fromEnv = process.env.AVU_PYTHON;
  if (fromEnv) return fromEnv;
  for (const root of [repoRoot, process.cwd()]) {
    const venv = join(root, '.venv', 'bin', 'python');
    if (existsSync(venv)) return venv;
  }
  return 'python3';
}
