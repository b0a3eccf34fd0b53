// `avu caption` writes into the dataset's store, with the bundled model on real AVU-Synth clips:
// captions → rules → accept-all → export → re-caption, and shards writing into one store at once.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main';
import { AvuStore } from '../../src/dataset/store';
import { qaSubsetsFor } from '../../src/dataset/consistency';
import { SUBSETS, type AvuSample } from '../../src/dataset/record';

const REPO = resolve(__dirname, '..', '..');
const MODEL = join(REPO, 'models', 'dolphin-tiny');
const SAMPLES = join(REPO, 'samples', 'avu-synth');
const MODEL_ARGS = ['--model', MODEL, '--device', 'cpu'];

async function avu(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

/** The `avu` of this checkout as its own process (TypeScript through tsx); `onErr` sees its stderr so far. */
function avuProcess(argv: string[], onErr?: (errSoFar: string, kill: (sig: NodeJS.Signals) => void) => void): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'cli', 'main.ts'), ...argv], { cwd: REPO });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      onErr?.(err, (sig) => p.kill(sig));
    });
    p.on('error', fail);
    p.on('close', (code) => done({ code, out, err }));
  });
}

async function records(root: string): Promise<AvuSample[]> {
  const store = await AvuStore.open(root);
  const out = [...store.records()];
  assert.deepEqual(store.problems, []);
  await store.close();
  return out;
}

function copySamples(dir: string, names: Record<string, string>): void {
  for (const [from, to] of Object.entries(names)) {
    mkdirSync(join(dir, to, '..'), { recursive: true });
    copyFileSync(join(SAMPLES, from), join(dir, to));
  }
}

describe('avu caption into the store (dolphin-tiny, AVU-Synth clips)', () => {
  const top = mkdtempSync(join(tmpdir(), 'avu-caption-store-'));
  const ds = join(top, 'ds');
  const clips = ['sub/synth-00004244.mp4', 'synth-00004242.mp4', 'synth-00004243.mp4'];
  let first: { code: number; out: string; err: string };
  before(async () => {
    copySamples(ds, { 'synth-00004242.mp4': 'synth-00004242.mp4', 'synth-00004243.mp4': 'synth-00004243.mp4', 'synth-00004244.mp4': 'sub/synth-00004244.mp4' });
    first = await avu('caption', ds, ...MODEL_ARGS);
  });

  it('writes one record per clip, with its Q&A, and says so last', async () => {
    assert.equal(first.code, 0, first.err);
    assert.match(first.err, /\[3\/3\] /);
    const lines = first.err.trim().split('\n');
    assert.match(lines[lines.length - 2]!, /^avu caption: 3 of 3 clips captioned in /);
    assert.equal(lines[lines.length - 1], `avu caption: 3 records written to the store ${join(ds, '.avu')} (3 new, 0 re-captioned).`);
    const recs = await records(ds);
    assert.deepEqual(recs.map((r) => r.clip).sort(), clips);
    for (const r of recs) {
      assert.ok(r.qa.length > 0 && r.qa.every((q) => q.status === 'pending' && q.origin === 'model' && q.a !== ''), r.clip);
      assert.equal(r.model.name, 'dolphin-tiny');
    }
    assert.equal(existsSync(join(ds, 'sub', '.avu')), false);
  });

  it('avu rules then reports every clip, each in a subset', async () => {
    const r = await avu('rules', ds, '--json');
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out) as { total: number; subsets: Record<string, number> };
    assert.equal(report.total, 3);
    assert.equal(SUBSETS.reduce((n, s) => n + (report.subsets[s] ?? 0), 0), 3);
    for (const rec of await records(ds)) assert.ok(SUBSETS.includes(rec.subset) && rec.qa.length > 0);
  });

  it('accept-all --subset specific, then export llava gives exactly the accepted items the rules keep', async () => {
    const pendingSpecific = (await records(ds)).flatMap((r) => r.qa.filter((q) => q.subset === 'specific' && q.status === 'pending'));
    const r = await avu('review', ds, '--accept-all', '--subset', 'specific');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `avu review: accepted ${pendingSpecific.length} pending items of specific in 3 clips.\n`);
    const recs = await records(ds);
    for (const rec of recs) for (const q of rec.qa) assert.equal(q.status, q.subset === 'specific' ? 'accepted' : 'pending', `${rec.clip} ${q.id}`);
    // What an export may hold: accepted items of kept records whose subset allows the item's subset.
    const want = recs
      .filter((rec) => rec.scores.kept && qaSubsetsFor(rec.subset).includes('specific'))
      .flatMap((rec) => rec.qa.filter((q) => q.status === 'accepted').map((q) => `${rec.clip}\t${q.q}\t${q.a}`))
      .sort();
    assert.ok(want.length > 0, 'some kept record of subset specific');
    const out = join(top, 'export');
    const e = await avu('export', ds, '--format', 'llava', '--out', out);
    assert.equal(e.code, 0, e.err);
    const rows = JSON.parse(readFileSync(join(out, 'stage2_instruct.json'), 'utf8')) as { video: string; subset: string; conversations: { from: string; value: string }[] }[];
    const got: string[] = [];
    for (const row of rows) {
      assert.equal(row.subset, 'specific');
      for (let i = 0; i < row.conversations.length; i += 2)
        got.push(`${row.video}\t${row.conversations[i]!.value.replace('<video>\n<audio>\n', '')}\t${row.conversations[i + 1]!.value}`);
    }
    assert.deepEqual(got.sort(), want);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'stage1_pretrain.json'), 'utf8')), []);
  });

  it('a second caption run keeps them accepted and records a recaption by the model', async () => {
    const accepted = (await records(ds)).flatMap((r) => r.qa.filter((q) => q.status === 'accepted').map((q) => `${r.clip} ${q.id} ${q.a}`)).sort();
    const r = await avu('caption', ds, ...MODEL_ARGS, '--json');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim().split('\n').length, 3);
    assert.match(r.err, /3 records written to the store .* \(0 new, 3 re-captioned\)\.\n$/);
    const recs = await records(ds);
    assert.equal(recs.length, 3);
    assert.deepEqual(recs.flatMap((x) => x.qa.filter((q) => q.status === 'accepted').map((q) => `${x.clip} ${q.id} ${q.a}`)).sort(), accepted);
    for (const rec of recs) {
      const re = rec.history.filter((h) => h.action === 'recaption');
      assert.equal(re.length, 1, rec.clip);
      assert.deepEqual(re[0]!.after, { model: { name: 'dolphin-tiny', version: rec.model.version } });
    }
  });

  it('a clip in a subfolder goes into the store above it; --dataset must hold the clip', async () => {
    const r = await avu('caption', join(ds, 'sub', 'synth-00004244.mp4'), ...MODEL_ARGS, '--max-tokens', '8');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /1 record written to the store .*ds\/\.avu \(0 new, 1 re-captioned\)\.\n$/);
    assert.equal(existsSync(join(ds, 'sub', '.avu')), false);
    assert.equal((await records(ds)).length, 3);
    const elsewhere = join(top, 'elsewhere');
    copySamples(elsewhere, { 'synth-00004245.mp4': 'synth-00004245.mp4' });
    const bad = await avu('caption', join(elsewhere, 'synth-00004245.mp4'), '--dataset', ds, ...MODEL_ARGS);
    assert.equal(bad.code, 1);
    assert.equal(bad.err, `avu caption: The clip ${join(elsewhere, 'synth-00004245.mp4')} is not inside the dataset ${ds}; pass a clip inside it, or another --dataset.\n`);
    const noStore = await avu('caption', join(elsewhere, 'synth-00004245.mp4'), ...MODEL_ARGS, '--max-tokens', '8', '--json', '--no-store');
    assert.equal(noStore.code, 0, noStore.err);
    assert.equal((JSON.parse(noStore.out) as AvuSample).clip, 'synth-00004245.mp4');
    assert.doesNotMatch(noStore.err, /written to the store/);
    assert.equal(existsSync(join(elsewhere, '.avu')), false);
  });

  it('--shard 0/2 and --shard 1/2 started at once into one store give every clip exactly once', async () => {
    const dir = join(top, 'shards');
    const names = ['synth-00004246.mp4', 'synth-00004247.mp4', 'synth-00004248.mp4', 'synth-00004249.mp4'];
    copySamples(dir, Object.fromEntries(names.map((n) => [n, n])));
    const runs = await Promise.all(['0/2', '1/2'].map((s) => avuProcess(['caption', dir, ...MODEL_ARGS, '--max-tokens', '8', '--shard', s])));
    for (const r of runs) {
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /avu caption: 2 records written to the store .* \(2 new, 0 re-captioned\)\.\n$/);
    }
    const recs = await records(dir);
    assert.deepEqual(recs.map((r) => r.clip).sort(), names);
    for (const r of recs) {
      assert.ok(r.qa.length > 0);
      assert.equal(r.history.filter((h) => h.action === 'put' || h.action === 'recaption').length, 1, r.clip);
    }
  });

  it('SIGINT mid-folder stops with 130, keeps the finished clips and writes no half record', async () => {
    const dir = join(top, 'interrupted');
    const names = ['synth-00004250.mp4', 'synth-00004251.mp4', 'synth-00004252.mp4', 'synth-00004253.mp4'];
    copySamples(dir, Object.fromEntries(names.map((n) => [n, n])));
    let sent = false;
    const r = await avuProcess(['caption', dir, ...MODEL_ARGS], (err, kill) => {
      if (!sent && /\[1\/4\] /.test(err)) {
        sent = true;
        kill('SIGINT');
      }
    });
    assert.equal(r.code, 130, r.err);
    const done = [...r.err.matchAll(/^\[\d\/4\] (\S+) {2}\d/gm)].map((m) => m[1]!);
    assert.ok(done.length >= 1 && done.length < 4, r.err);
    assert.match(r.err, new RegExp(`${done.length} records? written to the store .* before it stopped\\.\n`));
    const recs = await records(dir);
    assert.deepEqual(recs.map((x) => x.clip).sort(), done.sort());
    assert.ok(recs.every((x) => x.qa.length > 0 && x.qa.every((q) => q.a !== '')));
    assert.deepEqual(readdirSync(join(dir, '.avu', 'journal')), []); // closed: everything folded into records/
  });
});
