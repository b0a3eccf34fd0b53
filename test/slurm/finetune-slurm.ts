// `avu finetune --launcher slurm` on the test cluster: a store with accepted and edited items, the trainer as a
// Slurm job (2 steps): registered with its lineage; a crash reported with Slurm's state and exit code; a job
// cancelled from outside (scancel) and one cancelled by the user: cancelled, no bundle, no partial folder.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CancelledError, FinetuneError } from '../../src/core/errors';
import { AvuStore, createSample, type QaItem } from '../../src/dataset';
import { loadFinetuneConfig, type FinetuneConfig } from '../../src/finetune/config';
import { resolvePython } from '../../src/finetune/python-env';
import { runFinetune, type FinetuneRequest } from '../../src/finetune/run';
import { SlurmLauncher } from '../../src/finetune/slurm-launcher';
import type { TrainerEvent } from '../../src/finetune/launcher';
import { sacctStates } from './cluster';

const repo = resolve(__dirname, '..', '..');
const trainerDir = join(repo, 'trainer');
const base = join(repo, 'models', 'dolphin-tiny');
const CLIPS = ['synth-00004242.mp4', 'synth-00004243.mp4', 'synth-00004244.mp4'];
const qa = (id: string, q: string, a: string, modality: QaItem['modality'] = 'audio'): QaItem => ({ id, subset: 'specific', modality, q, a, origin: 'model', status: 'pending' });

export function finetuneSuite(scratch: string): void {
  const root = join(scratch, `finetune "set" it's $1`);
  const cfgFile = join(root, 'tiny.json');
  let config: FinetuneConfig;
  const request = (over: Partial<FinetuneRequest>): FinetuneRequest => ({
    datasetRoot: root, baseBundle: base, stage: 'instruction', config, launcher: new SlurmLauncher(), python: resolvePython(undefined, repo), trainerDir, ...over,
  });
  const leftovers = (name: string): string[] => readdirSync(join(root, 'models')).filter((n) => n.includes(name));

  before(async () => {
    mkdirSync(join(root, 'models'), { recursive: true });
    for (const c of CLIPS) copyFileSync(join(repo, 'samples', 'avu-synth', c), join(root, c));
    const store = await AvuStore.open(root);
    for (const clip of CLIPS) store.put(createSample({ clip, qa: [qa('q1', 'What kind of sound is it?', 'a whistle'), qa('q2', 'What is the background?', 'sand', 'visual')] }));
    const idOf = (clip: string): string => store.ids().find((x) => store.get(x)?.clip === clip)!;
    for (const [i, clip] of CLIPS.entries()) {
      store.review(idOf(clip), 'q1', 'edit', `speech ${i}`);
      store.review(idOf(clip), 'q2', 'accept');
    }
    await store.close();
    writeFileSync(cfgFile, JSON.stringify({ replay_clips: 2, replay_share: 0.5, log_every: 1, heldout_share: 0.3, instruction: { steps: 2, batch_clips: 2 }, slurm: { mem: '2G', time: '00:20:00' } }));
    config = loadFinetuneConfig(join(trainerDir, 'configs', 'finetune.json'), cfgFile);
  });

  describe('avu finetune --launcher slurm', () => {
    it('completes as a Slurm job: progress from its log, COMPLETED exit 0, a registered bundle', () => {
      const out = join(root, 'models', 'ft-slurm');
      const r = spawnSync(process.execPath, [join(repo, 'dist', 'cli.js'), 'finetune', '--dataset', root, '--launcher', 'slurm', '--config', cfgFile, '--out', out, '--json'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; state?: string; exit_code?: number | null; step?: number });
      const slurm = events.filter((e) => e.event === 'slurm');
      assert.equal(slurm[0]?.state, 'SUBMITTED');
      assert.deepEqual([slurm.at(-1)?.state, slurm.at(-1)?.exit_code], ['COMPLETED', 0]);
      assert.deepEqual(events.filter((e) => e.event === 'step').map((e) => e.step), [1, 2], 'steps followed from the job log');
      assert.equal(events.at(-1)?.event, 'registered');
      assert.match(r.stderr, /Slurm job \d+ COMPLETED \(exit 0\)/);
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { lineage: { launcher: string } };
      assert.equal(manifest.lineage.launcher, 'slurm');
    });

    it('a trainer crash is FAILED with its exit code from Slurm, and registers nothing', async () => {
      const bad = { ...config, instruction: { ...config.instruction, batch_clips: 0 } };
      let job = '';
      await assert.rejects(runFinetune(request({ out: join(root, 'models', 'crash'), config: bad, onEvent: (e) => void (e.event === 'slurm' && (job = String(e.job))) })), (e: unknown) => {
        assert.ok(e instanceof FinetuneError && e.code === 'trainer-failed', String(e));
        assert.match(e.message, /Slurm job \d+ FAILED with exit code 1/);
        assert.ok((e.cause as { errorTail: string[] }).errorTail.some((l) => /Error/.test(l)));
        return true;
      });
      assert.deepEqual((await sacctStates(job)).map((t) => `${t.state} ${t.exitCode}`), ['FAILED 1']);
      assert.deepEqual(leftovers('crash'), []);
    });

    it('a job cancelled with scancel from outside is cancelled: no bundle, no partial folder', async () => {
      let job = '';
      const onEvent = (e: TrainerEvent): void => {
        if (e.event === 'slurm' && e.state === 'SUBMITTED') job = String(e.job);
        if (e.event === 'stage') spawnSync('scancel', [job]);
      };
      await assert.rejects(runFinetune(request({ out: join(root, 'models', 'outside'), onEvent })), (e: unknown) => e instanceof CancelledError);
      assert.equal((await sacctStates(job))[0]?.state, 'CANCELLED');
      assert.deepEqual(leftovers('outside'), []);
    });

    it('a user cancel (abort) scancels the job and leaves no half-written bundle', async () => {
      const ac = new AbortController();
      let job = '';
      const onEvent = (e: TrainerEvent): void => {
        if (e.event === 'slurm' && e.state === 'SUBMITTED') job = String(e.job);
        if (e.event === 'stage') ac.abort(new Error('user cancel'));
      };
      await assert.rejects(runFinetune(request({ out: join(root, 'models', 'user'), signal: ac.signal, onEvent })), (e: unknown) => e instanceof CancelledError);
      assert.equal((await sacctStates(job))[0]?.state, 'CANCELLED');
      assert.deepEqual(leftovers('user'), []);
      assert.ok(!existsSync(join(root, '.avu', 'finetune', 'lock')));
    });
  });
}
