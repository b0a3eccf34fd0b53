// `avu bench` store part (issue 5, item 1): a generated 100k-clip dataset (AVU_BENCH_STORE_CLIPS to
// change it), then: opening it cold (no index, every record file parsed), opening it warm (index
// valid, every file stat'ed), the process RSS after the warm open, and the time to record one review
// action (append + fdatasync + apply), as median and p95 over 500 actions.
// Targets: warm open <= 2 s and <= 300 MB; one action <= 5 ms.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { throwIfAborted } from '../core/errors';
import { canonicalRecordJson } from '../dataset/canonical';
import type { AvuSample } from '../dataset/record';
import { createSample } from '../dataset/sample';
import { AvuStore } from '../dataset/store';
import { median, type BenchPart, type BenchRunOptions } from './types';

export function benchRecord(i: number): AvuSample {
  const id = `clip-${String(i).padStart(6, '0')}`;
  const r = createSample({
    id,
    clip: `clips/${Math.floor(i / 1000)}/${id}.mp4`,
    media: { durationS: 10, width: 1280, height: 720, fps: 25, hasAudio: true },
    model: { name: 'dolphin-tiny', version: '0.1.0' },
    captions: {
      audio: 'A dog barks twice while a car passes by in the distance and wind blows.',
      visual: 'A brown dog runs across a grass field towards a red ball near a wooden fence.',
      av: 'A brown dog barks twice as it runs across the grass field towards a red ball; a car passes behind the fence.',
    },
    meta: {
      audio: { event: ['barking', 'car passing'], object: ['dog', 'car'], scene: [], place: ['outdoors'], action: ['barking'], emotion: ['excited'] },
      visual: { event: ['running'], object: ['dog', 'ball', 'fence'], scene: ['grass field'], place: ['outdoors'], action: ['running'], emotion: ['cheerful'] },
    },
  });
  const qa = (k: number, subset: AvuSample['subset'], modality: 'audio' | 'visual' | 'av', q: string, a: string) =>
    ({ id: `q${k}`, subset, modality, q, a, origin: 'model' as const, status: 'pending' as const });
  r.qa = [
    qa(0, 'pretrain', 'av', 'Describe the clip, sound and picture together.', r.captions.av),
    qa(1, 'multi_qa', 'av', 'What makes the sound?', 'The brown dog.'),
    qa(2, 'multi_qa', 'av', 'When does it bark?', 'At 2 and 5 seconds.'),
    qa(3, 'specific', 'audio', 'What else can be heard?', 'A car passing by.'),
    qa(4, 'specific', 'visual', 'What colour is the ball?', 'Red.'),
    qa(5, 'negative', 'visual', 'What colour is the cat?', 'There is no cat in this clip.'),
  ];
  r.consistency = 0.42;
  r.scores = { similarity: 0.8, selfConsistency: 0.7, annotation: 1, confidence: 0.9, kept: true };
  r.history = [{ at: '2026-01-01T00:00:00.000Z', action: 'put', op: `bench:${i}` }];
  return r;
}

/** Wall and CPU time of an open: on a shared machine the CPU time is the steadier figure. */
async function timeOpen(dir: string, signal: AbortSignal): Promise<{ ms: number; cpuMs: number; store: AvuStore }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const store = await AvuStore.open(dir, { signal, autoCompactAfter: 0 });
  const c = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, store };
}

export async function runStoreBench(opts: BenchRunOptions & { clips?: number; actions?: number }): Promise<Record<string, unknown>> {
  const clips = opts.clips ?? Number(process.env.AVU_BENCH_STORE_CLIPS ?? 100_000);
  const actions = opts.actions ?? 500;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'avu-bench-store-'));
  try {
    const recDir = path.join(dir, '.avu', 'records');
    fs.mkdirSync(recDir, { recursive: true });
    opts.log(`store: writing ${clips} record files`);
    let bytes = 0;
    for (let i = 0; i < clips; i++) {
      if (i % 2000 === 0) throwIfAborted(opts.signal);
      const r = benchRecord(i);
      const text = canonicalRecordJson(r);
      bytes += text.length;
      fs.writeFileSync(path.join(recDir, `${r.id}.json`), text);
    }
    opts.log('store: cold open (no index)');
    const coldMs = (await timeOpen(dir, opts.signal)).ms; // the store is garbage right after
    opts.log('store: warm open');
    await new Promise((r) => setTimeout(r, 50));
    const rssBefore = process.memoryUsage().rss;
    const heapBefore = process.memoryUsage().heapUsed;
    const warm = await timeOpen(dir, opts.signal);
    const rssAfter = process.memoryUsage().rss;
    const heapAfter = process.memoryUsage().heapUsed;
    const store = warm.store;
    if (store.ids().length !== clips) throw new Error(`the store loaded ${store.ids().length} of ${clips} records`);
    opts.log(`store: ${actions} review actions`);
    const times: number[] = [];
    const ids = store.ids();
    for (let k = 0; k < actions; k++) {
      const id = ids[(k * 7919) % ids.length]!;
      const t0 = performance.now();
      if (k % 3 === 2) store.review(id, 'q1', 'edit', `The brown dog, edit ${k}.`);
      else store.review(id, `q${k % 6}`, k % 3 === 0 ? 'accept' : 'reject');
      times.push(performance.now() - t0);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)]!;
    await store.compact();
    const result = {
      clips,
      recordBytesMean: Math.round(bytes / clips),
      coldOpenMs: Math.round(coldMs),
      warmOpenMs: Math.round(warm.ms),
      warmOpenCpuMs: Math.round(warm.cpuMs),
      loadAverage1m: Number(os.loadavg()[0]!.toFixed(2)),
      cpus: os.cpus().length,
      rssAfterWarmOpenMB: Math.round(rssAfter / 2 ** 20),
      rssGrowthWarmOpenMB: Math.round((rssAfter - rssBefore) / 2 ** 20),
      heapGrowthWarmOpenMB: Math.round((heapAfter - heapBefore) / 2 ** 20),
      actionMsMedian: Number(median(times).toFixed(3)),
      actionMsP95: Number(p95.toFixed(3)),
      targets: {
        warmOpenMs: { value: Math.round(warm.ms), limit: 2000, ok: warm.ms <= 2000 },
        // The whole process after the warm open (node itself, the generator's leftovers and the store).
        rssMB: { value: Math.round(rssAfter / 2 ** 20), limit: 300, ok: rssAfter / 2 ** 20 <= 300 },
        actionMs: { value: Number(median(times).toFixed(3)), limit: 5, ok: median(times) <= 5 },
      },
    };
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const storeBench: BenchPart = {
  name: 'store',
  run: (opts) => runStoreBench(opts),
};
