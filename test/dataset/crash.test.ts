// Acceptance: SIGKILL writer A at random moments (AVU_CRASH_KILLS times, default 200) while writer B
// keeps writing to the same records; then no acknowledged accepted/edited item may be missing and no
// corrupt record may load. Children are bundled once with esbuild so each start costs ~50 ms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { buildSync } from 'esbuild';
import { AvuStore } from '../../src/dataset/store';
import { createSample } from '../../src/dataset/sample';
import { ITEMS, RECORDS, crashOp, expectedStates, type ItemState } from './crash-ops';

const KILLS = Number(process.env.AVU_CRASH_KILLS ?? 200);

function bundleWriter(outDir: string): string {
  const outfile = path.join(outDir, 'crash-writer.cjs');
  buildSync({ entryPoints: [path.join(__dirname, 'crash-writer.ts')], bundle: true, platform: 'node', format: 'cjs', outfile, logLevel: 'error' });
  return outfile;
}

interface Run {
  child: ChildProcess;
  lastAck: number;
  done: Promise<number | null>;
}

function startWriter(script: string, dir: string, role: 'A' | 'B', start: number, count: number, pauseMs: number, onAck: (s: number) => void): Run {
  const child = spawn(process.execPath, [script, dir, role, String(start), String(count), String(pauseMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { child, lastAck: start - 1, done: Promise.resolve(null) };
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const m = /^ack (\d+)$/.exec(line);
      if (m) {
        run.lastAck = Number(m[1]);
        onAck(run.lastAck);
      }
    }
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  run.done = new Promise((resolve) =>
    child.on('close', (code) => {
      if (code !== 0 && code !== null) process.stderr.write(`writer ${role} exited ${code}: ${err}\n`);
      resolve(code);
    }),
  );
  return run;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`SIGKILL of a writer ${KILLS} times beside a second writer loses no acknowledged item`, { timeout: 600_000 }, async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'avu-crash-'));
  const script = bundleWriter(work);
  const dir = path.join(work, 'dataset');
  fs.mkdirSync(dir);
  const seedStore = await AvuStore.open(dir);
  for (let r = 0; r < RECORDS; r++) {
    const qa = Array.from({ length: ITEMS }, (_, i) => ({
      id: `q${i}`, subset: 'multi_qa' as const, modality: 'av' as const, q: `question ${i}?`, a: `model answer ${i}`, origin: 'model' as const, status: 'pending' as const,
    }));
    seedStore.put(createSample({ id: `rec${r}`, clip: `clips/rec${r}.mp4`, qa }));
  }
  await seedStore.close();

  let ackA = -1;
  let ackB = -1;
  // B: one long-lived writer, restarted whenever it finishes, until A's kills are done.
  let stopB = false;
  const bLoop = (async () => {
    while (!stopB) {
      const run = startWriter(script, dir, 'B', ackB + 1, 400, 1, (s) => (ackB = Math.max(ackB, s)));
      await run.done;
    }
  })();

  let kills = 0;
  let rnd = 12345;
  const random = (): number => {
    rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0;
    return rnd / 2 ** 32;
  };
  while (kills < KILLS) {
    let firstAck: () => void = () => undefined;
    const acked = new Promise<void>((r) => (firstAck = r));
    const run = startWriter(script, dir, 'A', ackA + 1, 100_000, 0, (s) => {
      ackA = Math.max(ackA, s);
      firstAck();
    });
    // A random moment: one kill in five anywhere from start-up on (opening the store, replaying
    // journals), the others while actions stream (appending, compacting, renaming).
    if (kills % 5 === 0) await sleep(random() * 300);
    else {
      await Promise.race([acked, sleep(5000)]);
      await sleep(random() * 250);
    }
    run.child.kill('SIGKILL');
    await run.done;
    kills++;
  }
  stopB = true;
  await bLoop;
  // A final clean run of each writer, so the last acknowledged step of both is unambiguous.
  const lastA = startWriter(script, dir, 'A', ackA + 1, 20, 0, (s) => (ackA = Math.max(ackA, s)));
  assert.equal(await lastA.done, 0);
  const lastB = startWriter(script, dir, 'B', ackB + 1, 20, 0, (s) => (ackB = Math.max(ackB, s)));
  assert.equal(await lastB.done, 0);

  const expected = new Map<string, ItemState>();
  expectedStates('A', ackA, expected);
  expectedStates('B', ackB, expected);
  const store = await AvuStore.open(dir);
  let lost = 0;
  let checked = 0;
  for (const [key, want] of expected) {
    const [rid, qid] = key.split('/') as [string, string];
    const item = store.get(rid)?.qa.find((q) => q.id === qid);
    checked++;
    if (!item || item.status !== want.status || (item.edit?.a ?? null) !== want.edit) lost++;
  }
  // Stronger than the final states: every acknowledged edit must be in its record's history.
  const editsSeen = new Set<string>();
  for (const rec of store.records()) {
    for (const h of rec.history) {
      const a = (h.after as { edit?: { a?: string } | null } | undefined)?.edit?.a;
      if (h.action === 'edit' && a) editsSeen.add(`${rec.id}/${h.qaId}/${a}`);
    }
  }
  let editsChecked = 0;
  let editsMissing = 0;
  for (const [role, last] of [['A', ackA], ['B', ackB]] as const) {
    for (let s = 0; s <= last; s++) {
      const op = crashOp(role, s);
      if (op.action !== 'edit') continue;
      editsChecked++;
      if (!editsSeen.has(`${op.recordId}/${op.qaId}/${op.text}`)) editsMissing++;
    }
  }
  const corrupt = store.problems.filter((p) => p.kind === 'corrupt-record').length;
  const torn = store.problems.filter((p) => p.kind === 'torn-journal-tail').length;
  process.stderr.write(
    `crash test: ${kills} SIGKILLs, ${ackA + 1} actions acknowledged by A, ${ackB + 1} by B, ${checked} items checked, ` +
      `${lost} lost, ${editsChecked} acknowledged edits checked in history, ${editsMissing} missing, ${corrupt} corrupt records, ${torn} torn in-flight actions quarantined, ${store.ids().length} records loaded\n`,
  );
  assert.equal(store.ids().length, RECORDS);
  assert.equal(lost, 0);
  assert.equal(editsMissing, 0);
  assert.equal(corrupt, 0);
  fs.rmSync(work, { recursive: true, force: true });
});
