// Acceptance: SIGKILL writer A at random moments (AVU_CRASH_KILLS times, default 200) while writer B
// keeps writing to the same records; then no acknowledged accepted/edited item may be missing and no
// corrupt record may load. Children are bundled once with esbuild so each start costs ~50 ms.
// Full-disk phase: during the last fifth of the kills, every 7th write of A fails half-way with ENOSPC.
// Hand-edit phase: A acknowledges actions and dies before compacting, every record file is then broken
// by hand (a trailing comma), a compaction runs, the files are mended; all of A's actions must apply.
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

function startWriter(
  script: string, dir: string, role: 'A' | 'B', start: number, count: number, pauseMs: number, onAck: (s: number) => void,
  env: Record<string, string> = {},
): Run {
  const child = spawn(process.execPath, [script, dir, role, String(start), String(count), String(pauseMs)], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
  });
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
  const fullDiskFrom = KILLS - Math.floor(KILLS / 5);
  let fullDiskKills = 0;
  while (kills < KILLS) {
    let firstAck: () => void = () => undefined;
    const acked = new Promise<void>((r) => (firstAck = r));
    const fullDisk = kills >= fullDiskFrom;
    if (fullDisk) fullDiskKills++;
    const run = startWriter(script, dir, 'A', ackA + 1, 100_000, 0, (s) => {
      ackA = Math.max(ackA, s);
      firstAck();
    }, fullDisk ? { AVU_CRASH_ENOSPC_EVERY: '7' } : {});
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
  // Hand-edit phase: A acknowledges 40 actions and dies before it compacts; someone breaks every record
  // file by hand; a compaction runs (the files go to quarantine, A's actions must stay); the files are mended.
  const ackBeforeHand = ackA;
  const hand = startWriter(script, dir, 'A', ackA + 1, 40, 0, (s) => (ackA = Math.max(ackA, s)), { AVU_CRASH_NO_CLOSE: '1' });
  assert.equal(await hand.done, 0);
  const handAcks = ackA - ackBeforeHand;
  // Its journal must be one a compaction may delete: the writer has exited, so its pid is gone.
  const recDir = path.join(dir, '.avu/records');
  for (const n of fs.readdirSync(recDir).filter((x) => x.endsWith('.json'))) {
    const f = path.join(recDir, n);
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/\n}\n$/, ',\n}\n'));
  }
  const breaker = await AvuStore.open(dir, { autoCompactAfter: 0 });
  assert.equal(await breaker.compact(), true);
  const orphaned = breaker.problems.filter((p) => p.kind === 'orphan-action').length;
  await breaker.close();
  const qDir = path.join(dir, '.avu/quarantine');
  let mended = 0;
  for (const n of fs.readdirSync(qDir).filter((x) => /^rec\d+\.json\.\d+-\d+$/.test(x))) {
    const id = n.replace(/\.json\..*$/, '');
    fs.writeFileSync(path.join(recDir, `${id}.json`), fs.readFileSync(path.join(qDir, n), 'utf8').replace(/,\n}\n$/, '\n}\n'));
    fs.rmSync(path.join(qDir, n));
    fs.rmSync(path.join(qDir, `${n}.reason.txt`), { force: true });
    mended++;
  }
  assert.ok(mended > 0 && orphaned > 0, `hand-edit phase: ${mended} records mended, ${orphaned} orphaned actions kept`);
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
    `crash test: ${kills} SIGKILLs (${fullDiskKills} with a disk failing every 7th write part-way), ${ackA + 1} actions acknowledged by A, ${ackB + 1} by B, ` +
      `hand-edit phase: ${handAcks} of A's acknowledged before ${mended} records were broken by hand, ${orphaned} kept as orphans, then mended; ${checked} items checked, ` +
      `${lost} lost, ${editsChecked} acknowledged edits checked in history, ${editsMissing} missing, ${corrupt} corrupt records, ${torn} torn in-flight actions quarantined, ${store.ids().length} records loaded\n`,
  );
  assert.equal(store.ids().length, RECORDS);
  assert.equal(lost, 0);
  assert.equal(editsMissing, 0);
  assert.equal(corrupt, 0);
  assert.equal(store.problems.filter((p) => p.kind === 'orphan-action').length, 0, 'every orphaned action applied once mended');
  fs.rmSync(work, { recursive: true, force: true });
});
