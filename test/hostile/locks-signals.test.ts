// Issue 15 item 8: a lock naming a live process that is not its writer (a reused PID) does not stall a
// command; a signal ends a command even while it is in synchronous work (blocked reading a pipe);
// `--out /proc/...` is refused at once instead of spinning; a second signal ends a command that is
// stopping. Real processes, real signals; no timings asserted (a hang fails by the test's timeout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { AvuStore } from '../../src/dataset/store';
import { createSample } from '../../src/dataset/sample';
import { main } from '../../src/cli/main';
import { captureIo, tally, tmp } from './tally';

const t = tally('locks-signals');
const REPO = path.join(__dirname, '../..');
const HANG_GUARD = { timeout: 120_000 };

/** `avu` as its own process; `signal` (the test's) kills it with SIGKILL if the test times out. */
function avuProcess(argv: string[], signal: AbortSignal): ChildProcess & { result: Promise<{ code: number | null; signal: string | null; err: string }> } {
  const p = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/cli/main.ts'), ...argv], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], signal, killSignal: 'SIGKILL' });
  p.on('error', () => undefined); // the abort at a timeout
  let err = '';
  p.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  p.stdout!.resume();
  const result = new Promise<{ code: number | null; signal: string | null; err: string }>((done) => p.on('close', (code, signal) => done({ code, signal, err })));
  return Object.assign(p, { result });
}

test('item 8: a lock naming a live process that started after it (a reused PID) is stale: the import compacts, the lock goes', HANG_GUARD, async () => {
  t.attack('item 8');
  const dir = tmp();
  const seed = await AvuStore.open(dir);
  await seed.close();
  // The lock of a writer that died long ago; its PID now belongs to an unrelated process started since.
  const stranger = spawn('sleep', ['600'], { stdio: 'ignore' });
  try {
    const lock = { pid: stranger.pid, host: os.hostname(), token: 'someone-long-gone', at: Date.now() - 60_000 };
    fs.writeFileSync(path.join(dir, '.avu/lock'), JSON.stringify(lock));
    const file = path.join(tmp('avu-hostile-src-'), 'Annotations.txt');
    fs.writeFileSync(file, 'Dog&abc&good&0&10\n');
    const io = captureIo();
    assert.equal(await main(['tasks', 'import', '--format', 'ave', file, '--dataset', dir], io), 0, io.err.join(''));
    // Compacted under the lock: the record file exists, no journal is left, the stranger's lock is gone.
    assert.deepEqual(fs.readdirSync(path.join(dir, '.avu/records')).length, 1);
    assert.deepEqual(fs.readdirSync(path.join(dir, '.avu/journal')), []);
    assert.equal(fs.existsSync(path.join(dir, '.avu/lock')), false);
  } finally {
    stranger.kill('SIGKILL');
  }
});

test('item 8: a lock of a live process that predates it is respected (the holder may be compacting)', HANG_GUARD, async () => {
  t.attack('item 8');
  const dir = tmp();
  const s = await AvuStore.open(dir, { autoCompactAfter: 0 });
  s.put(createSample({ id: 'r1', clip: 'clips/r1.mp4', subset: 'multi_qa' }));
  const holder = { pid: process.pid, host: os.hostname(), token: 'this-test', at: Date.now() };
  fs.writeFileSync(path.join(dir, '.avu/lock'), JSON.stringify(holder));
  assert.equal(await s.compact({ waitMs: 0 }), false, 'a live holder keeps its lock');
  fs.rmSync(path.join(dir, '.avu/lock'));
  await s.close();
});

test('item 8: SIGTERM ends `avu tasks import` while it is blocked reading a pipe (synchronous work)', HANG_GUARD, async (tc) => {
  t.attack('item 8');
  const dir = tmp();
  const fifo = path.join(dir, 'annotations.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const ds = path.join(dir, 'ds');
  fs.mkdirSync(ds);
  const p = avuProcess(['tasks', 'import', '--format', 'ave', fifo, '--dataset', ds], tc.signal);
  // Opening the write end completes once avu has opened the read end; writing nothing keeps it blocked.
  const w = await fs.promises.open(fifo, 'w');
  try {
    p.kill('SIGTERM');
    const r = await p.result;
    assert.ok(r.signal === 'SIGTERM' || (r.code !== null && r.code !== 0), `ended: ${JSON.stringify(r)}`);
  } finally {
    await w.close();
  }
});

test('item 8: `avu export --out /proc/...` is refused in one line instead of spinning', HANG_GUARD, async (tc) => {
  const dir = tmp();
  const seed = await AvuStore.open(dir);
  await seed.close();
  for (const out of ['/proc/avu-export', '/proc/avu-export/deeper/still']) {
    t.attack('item 8');
    const p = avuProcess(['export', dir, '--format', 'llava', '--out', out], tc.signal);
    const r = await p.result;
    assert.equal(r.code, 1, r.err);
    const lines = r.err.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, r.err);
    assert.match(lines[0]!, /^avu export: --out \/proc\/avu-export.* cannot be made: .* choose a folder on an ordinary disk\.$/);
  }
});

test('item 8: a command that is stopping after one signal ends at the second', HANG_GUARD, async (tc) => {
  t.attack('item 8');
  const p = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'signal-child.ts')], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], signal: tc.signal, killSignal: 'SIGKILL' });
  p.on('error', () => undefined);
  let out = '';
  let err = '';
  p.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const result = new Promise<{ code: number | null; signal: string | null }>((done) => p.on('close', (code, signal) => done({ code, signal })));
  const waitFor = (re: RegExp, of: () => string) =>
    new Promise<void>((ok) => {
      const check = (): void => (re.test(of()) ? ok() : void setTimeout(check, 20));
      check();
    });
  p.stdout.on('data', (b: Buffer) => (out += b.toString()));
  await waitFor(/ready/, () => out);
  p.kill('SIGTERM');
  await waitFor(/stopping/, () => err + out);
  assert.match(err, /send it again to stop at once/);
  p.kill('SIGTERM');
  const r = await result;
  assert.equal(r.signal, 'SIGTERM', `${JSON.stringify(r)} ${err}`);
});

test('item 8: what an export killed part-way left beside its target is cleared by the next export', HANG_GUARD, async () => {
  t.attack('item 8');
  const dir = tmp();
  const seed = await AvuStore.open(dir);
  await seed.close();
  const top = tmp('avu-hostile-out-');
  const dead = 2 ** 22 + 12345; // above pid_max's default: no such process
  fs.mkdirSync(path.join(top, `.out.avu-export-${dead}-0badf00d`));
  fs.writeFileSync(path.join(top, `.out.avu-export-${dead}-0badf00d`, 'stage2_instruct.json'), '[');
  const io = captureIo();
  assert.equal(await main(['export', dir, '--format', 'llava', '--out', path.join(top, 'out')], io), 0, io.err.join(''));
  assert.deepEqual(fs.readdirSync(top), ['out']);
});

test('item 8: waiting for a lock a live process holds is said in one line, and the action is kept', HANG_GUARD, async () => {
  t.attack('item 8');
  const dir = tmp();
  const seed = await AvuStore.open(dir);
  seed.put(createSample({ id: 'r1', clip: 'clips/r1.mp4', subset: 'multi_qa', qa: [{ id: 'q1', subset: 'multi_qa', modality: 'av', q: 'Q?', a: 'A.', origin: 'model', status: 'pending' }] }));
  await seed.close();
  const lock = path.join(dir, '.avu/lock');
  fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), token: 'this-test', at: Date.now() }));
  const io = captureIo();
  assert.equal(await main(['review', dir, '--accept-all'], io), 0, io.err.join(''));
  const notes = io.err.join('').split('\n').filter((l) => l.includes('waiting'));
  assert.equal(notes.length, 1, io.err.join(''));
  assert.match(notes[0]!, new RegExp(`^avu review: waiting for the dataset's compaction lock, held by process ${process.pid} on `));
  fs.rmSync(lock);
  t.acknowledged++;
  const s = await AvuStore.open(dir, { readOnly: true });
  if (s.get('r1')?.qa[0]?.status !== 'accepted') t.lost++;
  assert.equal(s.get('r1')?.qa[0]?.status, 'accepted');
});
