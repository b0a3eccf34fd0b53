// `avu review`: the review panel's actions headless, on records dolphin-tiny wrote for two AVU-Synth clips.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { main } from '../../src/cli/main';
import { AvuStore } from '../../src/dataset/store';
import type { AvuSample, QaItem } from '../../src/dataset/record';

const REPO = resolve(__dirname, '..', '..');
const SAMPLES = join(REPO, 'samples', 'avu-synth');

async function avu(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

/** Runs `avu review` and expects it to succeed. */
async function review(...argv: string[]): Promise<string> {
  const r = await avu('review', ...argv);
  assert.equal(r.code, 0, r.err);
  return r.out;
}

async function record(root: string, clip: string): Promise<AvuSample> {
  const store = await AvuStore.open(root);
  const id = store.idForClip(clip);
  const r = id === undefined ? undefined : store.get(id);
  await store.close();
  assert.ok(r, clip);
  return r;
}

async function item(root: string, clip: string, qaId: string): Promise<QaItem> {
  const q = (await record(root, clip)).qa.find((x) => x.id === qaId);
  assert.ok(q, `${clip} ${qaId}`);
  return q;
}

describe('avu review', () => {
  const ds = mkdtempSync(join(tmpdir(), 'avu-review-'));
  const A = 'synth-00004242.mp4';
  const B = 'sub/synth-00004243.mp4';
  before(async () => {
    mkdirSync(join(ds, 'sub'));
    copyFileSync(join(SAMPLES, A), join(ds, A));
    copyFileSync(join(SAMPLES, 'synth-00004243.mp4'), join(ds, B));
    const r = await avu('caption', ds, '--model', join(REPO, 'models', 'dolphin-tiny'), '--device', 'cpu', '--max-tokens', '12');
    assert.equal(r.code, 0, r.err);
  });

  it('accept, reject with a reason, edit, reset; undo and redo of that clip round-trip', async () => {
    const a0 = await item(ds, A, 'q00');
    assert.equal(await review(ds, '--clip', A, '--qa', 'q00', 'accept'), `avu review: ${A} q00: accepted\n`);
    assert.equal((await item(ds, A, 'q00')).status, 'accepted');
    assert.equal(await review(ds, '--clip', A, '--qa', 'q01', 'reject', '--reason', 'wrong shape'), `avu review: ${A} q01: rejected (wrong shape)\n`);
    assert.deepEqual([(await item(ds, A, 'q01')).status, (await item(ds, A, 'q01')).reason], ['rejected', 'wrong shape']);
    await review(ds, '--clip', A, '--qa', 'q02', 'edit', '--answer', 'From 1.0 to 3.5 seconds.');
    const edited = await item(ds, A, 'q02');
    assert.equal(edited.status, 'accepted');
    assert.equal(edited.edit?.a, 'From 1.0 to 3.5 seconds.');
    await review(ds, '--clip', A, '--qa', 'q00', 'reset');
    assert.equal((await item(ds, A, 'q00')).status, 'pending');
    assert.equal((await item(ds, A, 'q00')).a, a0.a);

    assert.match(await review(ds, '--clip', A, '--undo'), /undid reset of .* q00; now accepted\n$/);
    assert.equal((await item(ds, A, 'q00')).status, 'accepted');
    assert.match(await review(ds, '--clip', A, '--undo'), /undid edit of .* q02; now pending\n$/);
    assert.equal((await item(ds, A, 'q02')).edit, undefined);
    assert.match(await review(ds, '--clip', A, '--redo'), /redid edit of .* q02; now edited: From 1\.0 to 3\.5 seconds\.\n$/);
    assert.equal((await item(ds, A, 'q02')).edit?.a, 'From 1.0 to 3.5 seconds.');
    await review(ds, '--clip', A, '--undo'); // q02 again
    await review(ds, '--clip', A, '--undo'); // q01: its reject and reason go
    assert.deepEqual([(await item(ds, A, 'q01')).status, (await item(ds, A, 'q01')).reason], ['pending', undefined]);
    await review(ds, '--clip', A, '--redo');
    assert.deepEqual([(await item(ds, A, 'q01')).status, (await item(ds, A, 'q01')).reason], ['rejected', 'wrong shape']);
    const hist = (await record(ds, A)).history.map((h) => h.action);
    assert.deepEqual(hist.filter((h) => ['accept', 'reject', 'edit', 'reset', 'undo', 'redo'].includes(h)), ['accept', 'reject', 'edit', 'reset', 'undo', 'undo', 'redo', 'undo', 'undo', 'redo']);
  });

  it('--undo and --redo without --clip act on the most recent action across the dataset', async () => {
    await review(ds, '--clip', B, '--qa', 'q00', 'accept');
    await review(ds, '--clip', A, '--qa', 'q03', 'accept');
    await review(ds, '--clip', B, '--qa', 'q01', 'accept');
    // B q01, then A q03, then B q00: by when each was done, not by record.
    assert.match(await review(ds, '--undo'), new RegExp(`undid accept of ${B} q01; now pending`));
    assert.match(await review(ds, '--undo'), new RegExp(`undid accept of ${A} q03; now pending`));
    assert.match(await review(ds, '--undo'), new RegExp(`undid accept of ${B} q00; now pending`));
    // Redo goes back the other way: the last one undone first.
    assert.match(await review(ds, '--redo'), new RegExp(`redid accept of ${B} q00; now accepted`));
    assert.match(await review(ds, '--redo'), new RegExp(`redid accept of ${A} q03; now accepted`));
    assert.equal((await item(ds, B, 'q01')).status, 'pending');
    assert.equal((await item(ds, A, 'q03')).status, 'accepted');
  });

  it('--clip takes the path relative to the dataset or a path to the clip file', async () => {
    await review(ds, '--clip', join(ds, B), '--qa', 'q02', 'accept');
    await review(ds, '--clip', relative(process.cwd(), join(ds, B)), '--qa', 'q03', 'accept');
    assert.deepEqual([(await item(ds, B, 'q02')).status, (await item(ds, B, 'q03')).status], ['accepted', 'accepted']);
  });

  it('--list prints one line per item, filtered by status, subset and clip, or JSON lines', async () => {
    const all = (await review(ds, '--list')).trim().split('\n');
    const recA = await record(ds, A);
    const recB = await record(ds, B);
    assert.equal(all.length, recA.qa.length + recB.qa.length);
    const rejected = (await review(ds, '--list', '--status', 'rejected')).trim().split('\n');
    assert.equal(rejected.length, 1);
    const cols = rejected[0]!.split('\t');
    assert.deepEqual([cols[0], cols[1], cols[4], cols[8]], [A, 'q01', 'rejected', 'wrong shape']);
    const q01 = recA.qa.find((q) => q.id === 'q01')!;
    assert.deepEqual([cols[2], cols[3], cols[5], cols[6]], [q01.subset, q01.modality, q01.q, q01.a]);
    const json = (await review(ds, '--list', '--clip', B, '--status', 'accepted', '--json')).trim().split('\n').map((l) => JSON.parse(l) as { clip: string; qaId: string; status: string });
    assert.deepEqual(json.map((j) => [j.clip, j.qaId, j.status]), [[B, 'q00', 'accepted'], [B, 'q02', 'accepted'], [B, 'q03', 'accepted']]);
    const spec = (await review(ds, '--list', '--subset', 'specific', '--json')).trim().split('\n').map((l) => JSON.parse(l) as { subset: string });
    assert.equal(spec.length, [...recA.qa, ...recB.qa].filter((q) => q.subset === 'specific').length);
    assert.ok(spec.every((j) => j.subset === 'specific'));
  });

  it('--accept-all accepts the pending items (of a subset, of a clip) in one write and leaves the rest', async () => {
    const pendingNeg = (await record(ds, A)).qa.filter((q) => q.subset === 'negative' && q.status === 'pending').length;
    assert.ok(pendingNeg > 0);
    assert.equal(await review(ds, '--accept-all', '--subset', 'negative', '--clip', A), `avu review: accepted ${pendingNeg} pending items of negative in 1 clip.\n`);
    const a = await record(ds, A);
    assert.ok(a.qa.filter((q) => q.subset === 'negative').every((q) => q.status === 'accepted'));
    assert.equal(a.qa.find((q) => q.id === 'q01')!.status, 'rejected');
    assert.ok((await record(ds, B)).qa.filter((q) => q.subset === 'negative').every((q) => q.status === 'pending'));
    const left = [...(await record(ds, A)).qa, ...(await record(ds, B)).qa].filter((q) => q.status === 'pending').length;
    assert.equal(await review(ds, '--accept-all'), `avu review: accepted ${left} pending items in 2 clips.\n`);
    assert.equal((await review(ds, '--list', '--status', 'pending')), '');
    assert.equal((await item(ds, A, 'q01')).status, 'rejected');
    assert.equal((await item(ds, A, 'q02')).edit, undefined);
    // One accept-all, undone one item at a time like the panel's.
    assert.match(await review(ds, '--undo'), /undid accept of /);
  });

  it('says in one sentence what is wrong: unknown clip or item, missing action, edit without --answer, bad status or subset', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['--clip', 'nope.mp4', '--qa', 'q00', 'accept'], 1, new RegExp(`^avu review: There is no record of the clip nope\\.mp4 in ${ds}; avu review ${ds} --list shows what exists\\.\\n$`)],
      [['--clip', A, '--qa', 'q99', 'accept'], 1, /^avu review: The clip synth-00004242\.mp4 has no Q&A item q99; avu review .* --list --clip synth-00004242\.mp4 shows its items\.\n$/],
      [['--clip', A, '--qa', 'q00'], 2, /^avu review: avu review needs one action: accept, reject, edit, reset, --undo, --redo, --accept-all or --list; run 'avu review --help'\.\n$/],
      [['--clip', A, '--qa', 'q00', 'approve'], 2, /^avu review: 'approve' is not a review action; /],
      [['--clip', A, 'accept'], 2, /^avu review: accept needs --qa <id>; /],
      [['--clip', A, '--qa', 'q00', 'edit'], 2, /^avu review: edit needs --answer TEXT, the new answer\.\n$/],
      [['--list', '--status', 'done'], 2, /^avu review: --status done is not one of pending, accepted, rejected, edited, conflict\.\n$/],
      [['--accept-all', '--subset', 'general'], 2, /^avu review: --subset general is not one of pretrain, multi_qa, specific, negative, tasks\.\n$/],
      [['--undo', '--redo'], 2, /^avu review: avu review takes one action at a time, not --undo and --redo\.\n$/],
    ];
    for (const [args, code, err] of cases) {
      const r = await avu('review', ds, ...args);
      assert.equal(r.code, code, args.join(' '));
      assert.match(r.err, err, args.join(' '));
      assert.equal(r.out, '');
    }
    const none = await avu('review', join(ds, 'sub'), '--list');
    assert.equal(none.code, 1);
    assert.match(none.err, /has no AVU store \(\.avu\/\); caption it first with avu caption /);
    const help = await avu('review', '--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: avu review <dataset>/);
  });
});
