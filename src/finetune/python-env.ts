// Which Python runs the trainer, and whether it can: an explicit --python or the machine-scoped avu.python
// setting (the extension passes it; workspace settings never reach here), else the project's .venv, else python3.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FinetuneError } from '../core/errors';

export function resolvePython(explicit: string | undefined, repoRoot: string): string {
  if (explicit) return explicit;
  if (process.env.AVU_PYTHON) return process.env.AVU_PYTHON;
  const venv = join(repoRoot, '.venv', 'bin', 'python');
  return existsSync(venv) ? venv : 'python3';
}

const PROBE = 'import avu_trainer.finetune, torch, safetensors, onnx; print("ok")';

/** One FinetuneError with the fix when the interpreter or the trainer's packages are not there. */
export async function checkTrainer(python: string, trainerDir: string, signal?: AbortSignal): Promise<void> {
  if (!existsSync(join(trainerDir, 'avu_trainer', 'finetune.py'))) {
    throw new FinetuneError('no-trainer', `The trainer is not at ${trainerDir} (no avu_trainer/finetune.py); pass --trainer DIR, the folder that holds the avu_trainer package.`);
  }
  const r = await new Promise<{ code: number | null; err: string; spawnError?: Error }>((res) => {
    const env = { ...process.env, PYTHONPATH: [trainerDir, process.env.PYTHONPATH].filter(Boolean).join(':') };
    const child = spawn(python, ['-c', PROBE], { env, stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', (e) => res({ code: null, err, spawnError: e }));
    child.on('close', (code) => res({ code, err }));
  });
  if (r.spawnError) {
    throw new FinetuneError('no-python', `Python was not found at '${python}'; create the project's venv (python3 -m venv .venv && .venv/bin/pip install -e trainer) or pass --python PATH (in VS Code: the avu.python setting).`, { cause: r.spawnError });
  }
  if (r.code !== 0) {
    const missing = /No module named '([^']+)'/.exec(r.err)?.[1];
    const what = missing ? `cannot import ${missing}` : `fails to import the trainer (${r.err.trim().split('\n').pop() ?? 'no output'})`;
    throw new FinetuneError('trainer-deps', `${python} ${what}; install the trainer into it: ${python} -m pip install -e ${trainerDir}.`);
  }
}
