// On a real single-node Slurm cluster (scripts/slurm-ci.sh, with slurmdbd so sacct works), brought up before and
// down after: `avu caption --slurm --array 4` into one store (every clip once, reviewed items intact), a failing
// and a cancelled array, plain jobs that fail and are cancelled, and `avu finetune --launcher slurm` (completed,
// crashed, cancelled). States and exit codes are Slurm's, cross-checked against sacct. Stage 'slurm' of
// scripts/test-all.mjs. Needs root and the Slurm packages; without them it fails and says what to install.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AvuStore } from '../../src/dataset';
import { SlurmClient } from '../../src/slurm/client';
import { clusterDown, clusterUp, sacctStates } from './cluster';
import { finetuneSuite } from './finetune-slurm';

const repo = resolve(__dirname, '..', '..');
const cli = join(repo, 'dist', 'cli.js');
const samples = join(repo, 'samples', 'avu-synth');
const scratch = mkdtempSync(join(tmpdir(), 'avu-slurm-test-'));
const clusterDir = join(scratch, 'cluster');
const clips = readdirSync(samples).filter((n) => n.endsWith('.mp4')).sort();

before(() => {
  assert.ok(existsSync(cli), `${cli} is missing; run npm run build first`);
  clusterUp(clusterDir);
});
after(() => {
  clusterDown(clusterDir);
  rmSync(scratch, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}
function avu(args: string[]): Ran {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: process.env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
/** A copy of AVU-Synth in a folder whose name has spaces, quotes and `$`. */
function dataset(name: string): string {
  const dir = join(scratch, name, `clips it's "$HOME" & co`);
  mkdirSync(dir, { recursive: true });
  for (const c of clips) copyFileSync(join(samples, c), join(dir, c));
  return dir;
}
const jobIdOf = (stderr: string): string => {
  const id = /submitted Slurm array job (\d+)/.exec(stderr)?.[1];
  assert.ok(id, stderr);
  return id;
};

describe('avu caption --slurm on a real cluster', () => {
  it('--array 4: every clip exactly once in the store, reviewed items untouched, task states from Slurm', async () => {
    const ds = dataset('caption');
    const first = join(ds, clips[0]!);
    const pre = avu(['caption', first, '--json']);
    assert.equal(pre.code, 0, pre.stderr);
    const before = JSON.parse(pre.stdout.trim().split('\n')[0]!) as { id: string; qa: Array<{ id: string; a: string }> };
    const [q0, q1] = before.qa;
    assert.ok(q0 && q1);
    assert.equal(avu(['review', ds, '--clip', clips[0]!, '--qa', q0.id, 'accept']).code, 0);
    assert.equal(avu(['review', ds, '--clip', clips[0]!, '--qa', q1.id, 'edit', '--answer', 'A human wrote this.']).code, 0);

    const r = avu(['caption', ds, '--slurm', '--array', '4']);
    assert.equal(r.code, 0, r.stderr);
    const job = jobIdOf(r.stderr);
    for (let i = 0; i < 4; i++) assert.match(r.stderr, new RegExp(`task ${i} \\(${job}_${i}\\): COMPLETED \\(exit 0\\)`));
    const acct = await sacctStates(job);
    assert.deepEqual(acct.map((t) => `${t.id} ${t.state} ${t.exitCode}`).sort(), [0, 1, 2, 3].map((i) => `${job}_${i} COMPLETED 0`));

    const store = await AvuStore.open(ds, { readOnly: true });
    try {
      const byClip = new Map<string, number>();
      for (const s of store.summaries()) byClip.set(s.clip, (byClip.get(s.clip) ?? 0) + 1);
      assert.deepEqual([...byClip.keys()].sort(), clips, 'every clip has a record');
      assert.deepEqual([...byClip.values()].filter((n) => n !== 1), [], 'no clip has two records');
      const rec = store.get(before.id);
      assert.ok(rec, 'the pre-captioned record kept its id');
      const a0 = rec.qa.find((q) => q.id === q0.id);
      const a1 = rec.qa.find((q) => q.id === q1.id);
      assert.equal(a0?.status, 'accepted');
      assert.equal(a0?.a, q0.a);
      assert.equal(a1?.status, 'accepted');
      assert.equal(a1?.edit?.a, 'A human wrote this.');
    } finally {
      await store.close();
    }
  });

  it('a failing array: each task reported FAILED with its exit code and log, avu exits 1', async () => {
    const ds = dataset('failing');
    const r = avu(['caption', ds, '--slurm', '--array', '2', '--model', join(scratch, 'no-such-model')]);
    assert.equal(r.code, 1, r.stderr);
    const job = jobIdOf(r.stderr);
    assert.match(r.stderr, /2 of 2 Slurm tasks did not complete/);
    for (const i of [0, 1]) {
      const m = new RegExp(`task ${i} \\(${job}_${i}\\) FAILED \\(exit 1\\): (.*) \\(log (.*task-${i}\\.log)\\)`).exec(r.stderr);
      assert.ok(m, r.stderr);
      assert.match(m[1]!, /no-such-model/, 'the log line that says why');
      assert.match(readFileSync(m[2]!, 'utf8'), /no-such-model/);
    }
    assert.deepEqual((await sacctStates(job)).map((t) => `${t.state} ${t.exitCode}`), ['FAILED 1', 'FAILED 1']);
  });

  it('SIGINT while the array runs: scancel, tasks reported CANCELLED, exit 130', async () => {
    const ds = dataset('cancel');
    const child = spawn(process.execPath, [cli, 'caption', ds, '--slurm', '--array', '4'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      if (/RUNNING/.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    assert.equal(code, 130, stderr);
    const job = jobIdOf(stderr);
    assert.match(stderr, new RegExp(`cancelled Slurm job ${job} \\(scancel\\)`));
    assert.match(stderr, /: CANCELLED/);
    const acct = await sacctStates(job);
    assert.equal(acct.length, 4);
    assert.ok(acct.some((t) => t.state === 'CANCELLED'), JSON.stringify(acct));
  });
});

describe('Slurm client on a real cluster', () => {
  const slurm = new SlurmClient();
  const script = (name: string, body: string): string => {
    const f = join(scratch, name);
    writeFileSync(f, `#!/bin/bash\n${body}\n`);
    return f;
  };

  it('a job that exits 3 is FAILED with exit code 3', async () => {
    const job = await slurm.submit({ args: ['--output=/dev/null'], script: script('fail.sh', 'exit 3') });
    const [t] = await slurm.wait(job);
    assert.deepEqual([t?.state, t?.exitCode], ['FAILED', 3]);
  });

  it('a job cancelled by someone else (scancel) is CANCELLED', async () => {
    const job = await slurm.submit({ args: ['--output=/dev/null'], script: script('sleep.sh', 'sleep 600') });
    let cancelled = false;
    const [t] = await slurm.wait(job, {
      onChange: (tasks) => {
        if (!cancelled && tasks[0]?.state === 'RUNNING') {
          cancelled = true;
          spawnSync('scancel', [job.jobId]);
        }
      },
    });
    assert.ok(cancelled, 'the job ran');
    assert.equal(t?.state, 'CANCELLED');
  });

  finetuneSuite(scratch);
});
