// The test cluster: scripts/slurm-ci.sh up/down around a test file, and sacct's word on a job.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { SlurmClient } from '../../src/slurm/client';
import { isTerminal, type TaskState } from '../../src/slurm/states';

const script = join(resolve(__dirname, '..', '..'), 'scripts', 'slurm-ci.sh');

/** Starts the cluster in `dir` and points this process (and its children) at it; fails with the fix when it cannot. */
export function clusterUp(dir: string): void {
  const check = spawnSync('bash', [script, 'check'], { encoding: 'utf8' });
  assert.equal(check.status, 0, `Slurm is not installed, so the slurm stage cannot run (CI installs it in .ci/run): ${check.stderr.trim()}`);
  const r = spawnSync('bash', [script, 'up', dir], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, `scripts/slurm-ci.sh up failed:\n${r.stdout}${r.stderr}`);
  process.env.SLURM_CONF = join(dir, 'etc', 'slurm.conf');
}

export function clusterDown(dir: string): void {
  const r = spawnSync('bash', [script, 'down', dir], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) console.error(`scripts/slurm-ci.sh down: ${r.stderr}`);
}

/** sacct's final record of every task of a job, polled until all are ended (sacct lags squeue). */
export async function sacctStates(jobId: string): Promise<TaskState[]> {
  const slurm = new SlurmClient();
  for (;;) {
    const t = await slurm.accounting(jobId);
    assert.ok(t, 'sacct answers (slurmdbd is up)');
    if (t.length > 0 && t.every((x) => isTerminal(x.state))) return t.sort((a, b) => a.id.localeCompare(b.id));
    await new Promise((r) => setTimeout(r, 300));
  }
}
