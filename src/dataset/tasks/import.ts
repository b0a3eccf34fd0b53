// AVU-Tasks into the store: a new record per unknown clip (subset tasks), or the task Q&A added to the
// existing record of that clip; the source labels are kept for the annotation score.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatasetError, throwIfAborted } from '../../core/errors';
import type { StoreOp } from '../ops';
import { createSample, recordIdForClip } from '../sample';
import type { AvuStore } from '../store';
import { parseAve } from './ave';
import { parseAvlPath } from './avl';
import { parseAvqa } from './avqa';
import { parseAvs } from './avs';
import { parseLlp } from './llp';
import type { TaskClip, TaskFormat } from './common';

export interface TaskReadOptions {
  clipDir?: string;
  ext?: string;
  modality?: 'audio' | 'visual';
  masks?: string;
}

export function readTaskFile(format: TaskFormat, file: string, opts: TaskReadOptions = {}): TaskClip[] {
  if (!fs.existsSync(file)) throw new DatasetError('no-task-file', `The annotation file ${file} does not exist.`);
  const base = path.basename(file);
  switch (format) {
    case 'ave':
      return parseAve(fs.readFileSync(file, 'utf8'), opts, base);
    case 'llp':
      return parseLlp(fs.readFileSync(file, 'utf8'), opts, base);
    case 'avqa':
      return parseAvqa(fs.readFileSync(file, 'utf8'), opts, base);
    case 'avl':
      return parseAvlPath(file, opts);
    case 'avs':
      return parseAvs(file, opts);
  }
}

export interface TaskImportReport {
  clips: number;
  created: number;
  updated: number;
  qa: number;
}

export async function importTaskClips(store: AvuStore, format: TaskFormat, clips: readonly TaskClip[], opts: { signal?: AbortSignal } = {}): Promise<TaskImportReport> {
  const report: TaskImportReport = { clips: clips.length, created: 0, updated: 0, qa: 0 };
  let ops: StoreOp[] = [];
  const byClip = new Map(store.summaries().map((s) => [s.clip, s.id]));
  for (const c of clips) {
    throwIfAborted(opts.signal);
    const id = byClip.get(c.clip) ?? recordIdForClip(c.clip);
    const cur = store.get(id);
    report.qa += c.qa.length;
    if (!cur) {
      ops.push({ kind: 'put', record: createSample({ id, clip: c.clip, media: { durationS: c.durationS }, subset: 'tasks', qa: c.qa, source: { dataset: format, labels: c.labels } }) });
      report.created++;
    } else {
      for (const item of c.qa) {
        const old = cur.qa.find((q) => q.id === item.id);
        if (!old || old.a !== item.a || old.q !== item.q) ops.push({ kind: 'addQa', recordId: id, item });
      }
      const labels = [...(cur.source?.labels ?? [])];
      for (const l of c.labels) if (!labels.includes(l)) labels.push(l);
      if (labels.length !== (cur.source?.labels.length ?? 0))
        ops.push({ kind: 'patch', recordId: id, patch: { source: { ...(cur.source ?? { dataset: format }), labels } }, action: 'import' });
      report.updated++;
    }
    if (ops.length >= 500) {
      store.commitMany(ops);
      ops = [];
    }
  }
  if (ops.length) store.commitMany(ops);
  await store.compact({ signal: opts.signal, waitMs: 10_000 });
  return report;
}
