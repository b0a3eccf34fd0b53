// AVU-Tasks into the store: a new record per unknown clip (subset tasks), or the task Q&A added to the
// existing record of that clip; the source labels are kept for the annotation score.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatasetError, UsageError, throwIfAborted } from '../../core/errors';
import { readTextFile } from '../../core/json-input';
import { clipPathProblem } from '../validate';
import { TaskRows } from './checks';
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

export interface TaskFileRead {
  clips: TaskClip[];
  /** One sentence per refused row (a clip name or a value that cannot be ground truth). */
  refused: string[];
  /** Rows (lines, items, files) looked at. */
  rows: number;
}

/** Reads an annotation file; bad rows are refused one by one, a file in the wrong format throws. */
export function readTasks(format: TaskFormat, file: string, opts: TaskReadOptions = {}): TaskFileRead {
  if (!fs.existsSync(file)) throw new DatasetError('no-task-file', `The annotation file ${file} does not exist.`);
  if (opts.clipDir !== undefined) {
    const problem = clipPathProblem(`${opts.clipDir.replace(/^\.\/?/, '').replace(/\/+$/, '') || 'x'}/x`);
    if (problem) throw new UsageError('bad-arguments', `--clip-dir ${opts.clipDir} is refused: ${problem.replace(/^clip/, 'it')}; give a folder inside the dataset.`);
  }
  const base = path.basename(file);
  const rows = new TaskRows();
  const clips = ((): TaskClip[] => {
    switch (format) {
      case 'ave':
        return parseAve(readTextFile(file), opts, base, rows);
      case 'llp':
        return parseLlp(readTextFile(file), opts, base, rows);
      case 'avqa':
        return parseAvqa(readTextFile(file), opts, base, rows);
      case 'avl':
        return parseAvlPath(file, opts, rows);
      case 'avs':
        return parseAvs(file, opts, rows);
    }
  })();
  const wrong = rows.wrongFormat();
  if (wrong) throw wrong;
  return { clips, refused: rows.refused.map((r) => r.message), rows: rows.rows };
}

/** Reads an annotation file and throws on the first refused row. */
export function readTaskFile(format: TaskFormat, file: string, opts: TaskReadOptions = {}): TaskClip[] {
  const r = readTasks(format, file, opts);
  if (r.refused.length > 0) throw new DatasetError('bad-task-row', r.refused[0]!);
  return r.clips;
}

export interface TaskImportReport {
  clips: number;
  created: number;
  updated: number;
  qa: number;
  /** Clips of the annotations that are not files in the dataset (yet). */
  missing: string[];
}

export async function importTaskClips(store: AvuStore, format: TaskFormat, clips: readonly TaskClip[], opts: { signal?: AbortSignal } = {}): Promise<TaskImportReport> {
  const report: TaskImportReport = { clips: clips.length, created: 0, updated: 0, qa: 0, missing: [] };
  let ops: StoreOp[] = [];
  const byClip = new Map(store.summaries().map((s) => [s.clip, s.id]));
  for (const c of clips) {
    throwIfAborted(opts.signal);
    const id = byClip.get(c.clip) ?? recordIdForClip(c.clip);
    if (!fs.existsSync(path.join(store.root, c.clip))) report.missing.push(c.clip);
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
