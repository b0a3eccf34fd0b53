// The generated sbatch script run by bash: hostile paths and arguments reach the program byte for byte, and
// the only expansion is the Slurm variable we ask for.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/core/errors';
import { renderScript, shellQuote } from '../../src/slurm/script';

const scratch = mkdtempSync(join(tmpdir(), 'avu-sbatch-script-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const HOSTILE = [`it's $HOME "x"`, '`touch pwned`', '$(touch pwned2)', 'semi;colon && echo no', "new\nline", '\\back\\slash', '*', '-n', '', "''", '%a %j'];

describe('sbatch script', () => {
  it('passes every hostile argument and path to the program unchanged, and expands only the task id', () => {
    const dir = join(scratch, `data set 'q' "dq" $HOME \`x\``);
    mkdirSync(dir);
    const script = join(dir, 'job.sbatch');
    writeFileSync(
      script,
      renderScript({
        title: 'test\nwith a newline',
        cwd: dir,
        env: { AVU_WEIRD: `a'b"c$d`, AVU_TASK: ['t', { variable: 'SLURM_ARRAY_TASK_ID' }] },
        argv: ['/usr/bin/printf', '%s\\0', ...HOSTILE, ['shard ', { variable: 'SLURM_ARRAY_TASK_ID' }, "/4 '$N'"]],
        stdout: [join(dir, 'out-'), { variable: 'SLURM_ARRAY_TASK_ID' }, '.log'],
      }),
    );
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/home/should-not-appear', SLURM_ARRAY_TASK_ID: '3' };
    const r = spawnSync('bash', [script], { env, cwd: scratch, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = readFileSync(join(dir, 'out-3.log'), 'utf8').split('\0').slice(0, -1);
    assert.deepEqual(got, [...HOSTILE, "shard 3/4 '$N'"]);
    const probe = join(dir, 'env.sbatch');
    writeFileSync(probe, renderScript({ title: 'env', cwd: dir, env: { AVU_WEIRD: `a'b"c$d`, AVU_TASK: ['t', { variable: 'SLURM_ARRAY_TASK_ID' }] }, argv: ['bash', '-c', 'printf "%s|%s|%s" "$AVU_WEIRD" "$AVU_TASK" "$PWD"'], stdout: join(dir, 'env.log') }));
    assert.equal(spawnSync('bash', [probe], { env, encoding: 'utf8' }).status, 0);
    assert.equal(readFileSync(join(dir, 'env.log'), 'utf8'), `a'b"c$d|t3|${dir}`);
    for (const name of ['pwned', 'pwned2']) assert.throws(() => readFileSync(join(dir, name)), /ENOENT/, 'nothing in an argument ran');
  });

  it('refuses what no shell word can carry and names that are not variables', () => {
    assert.throws(() => shellQuote('a\0b'), UsageError);
    assert.throws(() => renderScript({ title: 't', cwd: '/', argv: ['x'], stdout: ['a', { variable: 'X; rm -rf /' }] }), UsageError);
    assert.throws(() => renderScript({ title: 't', cwd: '/', env: { 'A B': 'x' }, argv: ['x'], stdout: '/dev/null' }), UsageError);
    assert.throws(() => renderScript({ title: 't', cwd: '/', argv: [], stdout: '/dev/null' }), UsageError);
  });
});
