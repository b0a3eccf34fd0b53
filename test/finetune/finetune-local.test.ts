// The fine-tune path for real, small: a store with accepted, edited, rejected and pending items on AVU-Synth
// clips, `runFinetune` through the local launcher (real PyTorch, 2 steps), the new bundle with its lineage; and
// the failures a user meets: a second launch, a trainer crash, a cancel, no Python.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AvuError, CancelledError, FinetuneError } from '../../src/core/errors';
import { AvuStore, createSample, type QaItem } from '../../src/dataset';
import { loadBundle } from '../../src/inference/bundle';
import { loadFinetuneConfig, type FinetuneConfig } from '../../src/finetune/config';
import { LocalLauncher } from '../../src/finetune/local-launcher';
import { acquireFinetuneLock } from '../../src/finetune/lock';
import { resolvePython } from '../../src/finetune/python-env';
import { runFinetune, type FinetuneRequest } from '../../src/finetune/run';
import { decodeNpyFloat32 } from '../../src/media';
import { main } from '../../src/cli/main';

const repo = resolve(__dirname, '..', '..');
const trainerDir = join(repo, 'trainer');
const base = join(repo, 'models', 'dolphin-tiny');
const samples = join(repo, 'samples', 'avu-synth');
const CLIPS = ['synth-00004242.mp4', 'synth-00004243.mp4', 'synth-00004244.mp4'];
let root = '';
let config: FinetuneConfig;

const qa = (id: string, q: string, a: string, status: QaItem['status'], modality: QaItem['modality'] = 'audio'): QaItem => ({ id, subset: 'specific', modality, q, a, origin: 'model', status });

function request(over: Partial<FinetuneRequest> = {}): FinetuneRequest {
  return { datasetRoot: root, baseBundle: base, stage: 'instruction', config, launcher: new LocalLauncher(), python: resolvePython(undefined, repo), trainerDir, ...over };
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'avu-ft-'));
  for (const c of CLIPS) copyFileSync(join(samples, c), join(root, c));
  // as in use: one session captions (puts), a later one reviews
  const captioned = await AvuStore.open(root);
  for (const clip of CLIPS) {
    captioned.put(createSample({ clip, qa: [
      qa('q1', 'What kind of sound is it?', 'a whistle', 'pending'),
      qa('q2', 'What pitch is the sound?', 'low', 'pending'),
      qa('q3', 'What is the background?', 'sandy beach', 'pending', 'visual'),
      qa('q4', 'How many shapes are there?', 'two', 'pending', 'visual'),
    ] }));
  }
  // a sample the rules dropped: none of its items count
  captioned.put(createSample({ clip: 'dropped.mp4', qa: [qa('q1', 'What kind of sound is it?', 'dropped', 'accepted')] }));
  await captioned.close();
  const store = await AvuStore.open(root);
  const idOf = (clip: string): string => store.ids().find((x) => store.get(x)?.clip === clip)!;
  for (const [i, clip] of CLIPS.entries()) {
    store.review(idOf(clip), 'q1', 'edit', `speech ${i}`);
    store.review(idOf(clip), 'q2', 'accept');
    store.review(idOf(clip), 'q3', 'reject');          // rejected and pending (q4) items never reach the trainer
  }
  store.patch(idOf('dropped.mp4'), { scores: { similarity: null, selfConsistency: null, annotation: null, confidence: null, kept: false } });
  await store.close();
  const cfgFile = join(root, 'tiny.json');
  writeFileSync(cfgFile, JSON.stringify({ replay_clips: 2, replay_share: 0.5, log_every: 1, heldout_share: 0.3, instruction: { steps: 2, batch_clips: 2 } }));
  config = loadFinetuneConfig(join(trainerDir, 'configs', 'finetune.json'), cfgFile);
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('avu finetune, local launcher', () => {
  it('trains from the base bundle on the accepted and edited items and registers a bundle with its lineage', async () => {
    const events: string[] = [];
    const out = join(root, 'models', 'ft-1');
    const res = await runFinetune(request({ out, name: 'ft-1', onEvent: (e) => events.push(e.event) }));
    assert.equal(res.bundle, out);
    assert.deepEqual([...new Set(events)].filter((e) => ['start', 'stage', 'step', 'stage_done', 'export', 'done'].includes(e)), ['start', 'stage', 'step', 'stage_done', 'export', 'done']);
    const b = await loadBundle(out);
    assert.ok(b.manifest.weights && 'weights.safetensors' in b.manifest.files);
    const lineage = b.manifest.lineage as { base: { name: string; manifestSha256: string }; dataset: { contentSha256: string; train: { clips: number; items: number }; heldOut: { clips: number }; split: { heldOut: string[] } }; trainer: { commit: string | null }; metrics: { stages: { instruction: { steps: number } } }; config: { instruction: { steps: number } } };
    assert.equal(lineage.base.name, 'dolphin-tiny');
    assert.match(lineage.base.manifestSha256, /^[0-9a-f]{64}$/);
    assert.match(lineage.dataset.contentSha256, /^[0-9a-f]{64}$/);
    assert.equal(lineage.dataset.train.clips + lineage.dataset.heldOut.clips, 3, 'the dropped sample is not in the set');
    assert.equal(lineage.dataset.train.items, 2 * lineage.dataset.train.clips, `accepted + edited only: ${JSON.stringify(res.set.clips.map((c) => [c.clip, c.split, c.items.map((x) => x.q)]))}`);
    assert.equal(lineage.metrics.stages.instruction.steps, 2);
    assert.equal(lineage.config.instruction.steps, 2);
    const held = readFileSync(join(out, 'heldout.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { clip: string; a: string });
    assert.deepEqual([...new Set(held.map((h) => h.clip))], lineage.dataset.split.heldOut);
    assert.ok(held.some((h) => h.a.startsWith('speech ')), 'an edited answer is what is trained and evaluated');
    // the arrays the trainer read are src/media's encoder inputs
    const clipsLine = JSON.parse(readFileSync(join(res.set.dir, 'clips.jsonl'), 'utf8').split('\n')[0]!) as { frames: string; spectrograms: string };
    assert.deepEqual(decodeNpyFloat32(readFileSync(clipsLine.frames)).shape, [8, 3, 224, 224]);
    assert.deepEqual(decodeNpyFloat32(readFileSync(clipsLine.spectrograms)).shape, [8, 1, 128, 204]);
    assert.ok(!existsSync(join(root, '.avu', 'finetune', 'lock')), 'the lock is released');
    // avu eval --baseline asks both models the held-out items: one table
    let stdout = '';
    const code = await main(['eval', '--model', out, '--baseline', base, '--heldout', '--json'], { stdout: (x) => void (stdout += x), stderr: () => undefined });
    assert.equal(code, 0);
    const table = JSON.parse(stdout) as { rows: Array<{ metric: string; base: number | null; new: number | null; diff: number | null; n: number }>; nClips: number };
    const overall = table.rows.find((r) => r.metric === 'overall')!;
    assert.equal(overall.n, held.length);
    assert.ok(overall.base !== null && overall.new !== null && Math.abs(overall.diff! - (overall.new - overall.base)) < 1e-3);
    assert.ok(table.rows.some((r) => r.metric === 'question: What kind of sound is it?'));
    // the same store gives the same set and split
    const again = await runFinetune(request({ out: join(root, 'models', 'ft-2'), name: 'ft-2' }));
    assert.equal((again.manifest.lineage as { dataset: { contentSha256: string } }).dataset.contentSha256, lineage.dataset.contentSha256);
  });

  it('avu finetune: progress on stderr, --json events on stdout, one line for bad arguments', async () => {
    let stdout = '';
    let stderr = '';
    const io = { stdout: (x: string) => void (stdout += x), stderr: (x: string) => void (stderr += x) };
    const out = join(root, 'models', 'cli');
    const code = await main(['finetune', '--dataset', root, '--base', base, '--config', join(root, 'tiny.json'), '--steps', '3', '--out', out, '--json'], io);
    assert.equal(code, 0, stderr);
    const events = stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; step?: number; bundle?: string });
    assert.deepEqual(events.filter((e) => e.event === 'step').map((e) => e.step), [1, 2, 3], '--steps overrides the config');
    assert.equal(events.at(-1)?.event, 'registered');
    assert.equal(events.at(-1)?.bundle, out);
    assert.match(stderr, /instruction 3\/3 \(100%\) loss [\d.]+ lr/);
    stderr = '';
    assert.equal(await main(['finetune', '--stage', 'everything', '--dataset', root], io), 2);
    assert.equal(stderr.trim().split('\n').length, 1);
    assert.match(stderr, /--stage everything is not one of instruction, pretrain, both/);
  });

  it('refuses a second launch while one runs', async () => {
    const lock = acquireFinetuneLock(join(root, '.avu', 'finetune'), 'a test holding the lock');
    try {
      await assert.rejects(runFinetune(request({ out: join(root, 'models', 'x') })), (e: unknown) => e instanceof FinetuneError && e.code === 'already-running');
    } finally {
      lock.release();
    }
    assert.ok(!existsSync(join(root, 'models', 'x')));
  });

  it('a trainer crash shows its error tail and registers nothing', async () => {
    const out = join(root, 'models', 'crash');
    const bad = { ...config, instruction: { ...config.instruction, batch_clips: 0 } };
    await assert.rejects(runFinetune(request({ out, config: bad })), (e: unknown) => {
      assert.ok(e instanceof FinetuneError && e.code === 'trainer-failed', String(e));
      assert.match(e.message, /exit code 1/);
      const tail = (e.cause as { errorTail: string[] }).errorTail;
      assert.ok(tail.some((l) => /Error/.test(l)), tail.join('\n'));
      return true;
    });
    assert.deepEqual(readdirSync(join(root, 'models')).filter((n) => n.includes('crash')), [], 'no bundle, no partial folder');
  });

  it('a cancel stops the trainer and leaves no half-written bundle', async () => {
    const out = join(root, 'models', 'cancelled');
    const ac = new AbortController();
    await assert.rejects(runFinetune(request({ out, signal: ac.signal, onEvent: (e) => e.event === 'stage' && ac.abort(new Error('user cancel')) })), (e: unknown) => e instanceof CancelledError);
    assert.deepEqual(readdirSync(join(root, 'models')).filter((n) => n.includes('cancelled')), []);
    assert.ok(!existsSync(join(root, '.avu', 'finetune', 'lock')));
  });

  it('a stage with nothing to learn from is refused before the trainer starts', async () => {
    await assert.rejects(runFinetune(request({ stage: 'pretrain', out: join(root, 'models', 'pre') })), (e: unknown) => e instanceof FinetuneError && e.code === 'no-stage-items' && /pretrain/.test(e.message));
    assert.ok(!existsSync(join(root, 'models', 'pre')));
  });

  it('a missing Python is one sentence with the fix', async () => {
    await assert.rejects(runFinetune(request({ python: join(root, 'no-such-python') })), (e: unknown) => e instanceof AvuError && e.code === 'no-python' && /--python/.test(e.message) && !e.message.includes('\n'));
  });
});
