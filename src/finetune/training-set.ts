// The fine-tune set (issue 14 item 2), built from the store: the accepted and edited Q&A of kept samples, split
// by clip, with each clip's encoder inputs made by src/media (the code inference runs) and written as .npy
// arrays the trainer reads as they are. Layout: trainer/avu_trainer/finetune_data.py; docs/finetune.md.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError, throwIfAborted } from '../core/errors';
import { AvuStore, STORE_DIR } from '../dataset';
import { encodeNpyFloat32, extractFeatures, FRAMES_SHAPE, SPECTROGRAMS_SHAPE } from '../media';
import { splitByClip, type Split } from './split';

export interface SetItem {
  q: string;
  a: string;
  subset: string;
  modality: string;
  /** 'edited' when the annotator rewrote the model's answer. */
  origin: 'accepted' | 'edited';
}

export interface SetClip {
  id: string;
  clip: string;
  split: 'train' | 'heldout';
  frames: string;
  spectrograms: string;
  items: SetItem[];
}

export interface TrainingSet {
  dir: string;
  clips: SetClip[];
  split: Split;
  contentSha256: string;
  counts: { clips: number; train: { clips: number; items: number }; heldOut: { clips: number; items: number } };
}

export interface BuildSetOptions {
  heldOutShare: number;
  signal?: AbortSignal;
  progress?: (done: number, total: number, clip: string) => void;
}

/** What the store holds that a fine-tune may learn from, per clip (no features yet). */
export async function selectItems(datasetRoot: string, signal?: AbortSignal): Promise<Array<{ id: string; clip: string; items: SetItem[] }>> {
  const store = await AvuStore.open(datasetRoot, { readOnly: true, ...(signal ? { signal } : {}) });
  try {
    const out: Array<{ id: string; clip: string; items: SetItem[] }> = [];
    for (const r of store.records(signal)) {
      if (r.scores.kept === false) continue;
      const items = r.qa
        .filter((x) => x.status === 'accepted')
        .map((x): SetItem => ({ q: x.q, a: x.edit ? x.edit.a : x.a, subset: x.subset, modality: x.modality, origin: x.edit ? 'edited' : 'accepted' }));
      if (items.length) out.push({ id: r.id, clip: r.clip, items });
    }
    return out.sort((a, b) => (a.clip < b.clip ? -1 : a.clip > b.clip ? 1 : 0));
  } finally {
    await store.close();
  }
}

function sha256File(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (c) => h.update(c)).on('error', rej).on('end', () => res(h.digest('hex')));
  });
}

/** Features cached under .avu/cache/finetune/ by clip and its size and mtime: a second fine-tune decodes nothing. */
async function clipArrays(datasetRoot: string, id: string, clip: string, signal?: AbortSignal): Promise<{ frames: string; spectrograms: string }> {
  const abs = join(datasetRoot, clip);
  if (!existsSync(abs)) throw new DatasetError('missing-clip', `${abs} is in the store but not on disk; restore the clip or reject its items.`);
  const st = statSync(abs);
  const key = createHash('sha1').update(`${clip}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 12);
  const dir = join(datasetRoot, STORE_DIR, 'cache', 'finetune');
  const frames = join(dir, `${id}-${key}.frames.npy`);
  const spectrograms = join(dir, `${id}-${key}.spectrograms.npy`);
  if (existsSync(frames) && existsSync(spectrograms)) return { frames, spectrograms };
  await mkdir(dir, { recursive: true });
  const f = await extractFeatures(abs, signal ? { signal } : {});
  for (const [path, data, shape] of [[frames, f.frames, FRAMES_SHAPE], [spectrograms, f.spectrograms, SPECTROGRAMS_SHAPE]] as const) {
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, encodeNpyFloat32(data, shape));
    await rename(tmp, path);
  }
  return { frames, spectrograms };
}

/** Builds the set into `outDir` (clips.jsonl, heldout.jsonl, set.json). Throws DatasetError when there is nothing to train on. */
export async function buildTrainingSet(datasetRoot: string, outDir: string, opts: BuildSetOptions): Promise<TrainingSet> {
  const selected = await selectItems(datasetRoot, opts.signal);
  if (selected.length < 2) {
    throw new DatasetError('too-few-items', `${datasetRoot} has accepted or edited items on ${selected.length} clip(s); accept or edit items of at least 2 kept clips (one trains, one is held out) before fine-tuning.`);
  }
  const split = splitByClip(selected.map((s) => s.clip), opts.heldOutShare);
  const held = new Set(split.heldOut);
  await mkdir(outDir, { recursive: true });
  const clips: SetClip[] = [];
  const hash = createHash('sha256');
  for (const [i, s] of selected.entries()) {
    throwIfAborted(opts.signal);
    const arrays = await clipArrays(datasetRoot, s.id, s.clip, opts.signal);
    const c: SetClip = { id: s.id, clip: s.clip, split: held.has(s.clip) ? 'heldout' : 'train', ...arrays, items: s.items };
    clips.push(c);
    hash.update(JSON.stringify({ clip: c.clip, split: c.split, items: c.items }) + '\n');
    hash.update(`${await sha256File(arrays.frames)} ${await sha256File(arrays.spectrograms)}\n`);
    opts.progress?.(i + 1, selected.length, s.clip);
  }
  const count = (split: SetClip['split']): { clips: number; items: number } => {
    const cs = clips.filter((c) => c.split === split);
    return { clips: cs.length, items: cs.reduce((n, c) => n + c.items.length, 0) };
  };
  const set: TrainingSet = {
    dir: outDir,
    clips,
    split,
    contentSha256: hash.digest('hex'),
    counts: { clips: clips.length, train: count('train'), heldOut: count('heldout') },
  };
  await writeFile(join(outDir, 'clips.jsonl'), clips.map((c) => JSON.stringify(c)).join('\n') + '\n');
  const heldLines = clips.filter((c) => c.split === 'heldout').flatMap((c) => c.items.map((x) => JSON.stringify({ clip: c.clip, id: c.id, ...x })));
  await writeFile(join(outDir, 'heldout.jsonl'), heldLines.join('\n') + (heldLines.length ? '\n' : ''));
  await writeFile(join(outDir, 'set.json'), JSON.stringify({ contentSha256: set.contentSha256, counts: set.counts, split }, null, 2) + '\n');
  return set;
}
