// What goes into a training export, and how export files are written: kept samples only, accepted or
// edited Q&A only (the edit replaces the model's answer), the Q&A subsets the record's subset allows,
// records in id order and items in record order, media paths relative to the dataset root, and a
// manifest with counts, per-file sha256 and a content hash. No timestamps: two runs give the same bytes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { throwIfAborted } from '../../core/errors';
import { SUBSETS, type AvuSample, type QaItem, type Subset } from '../record';
import { qaSubsetsFor } from '../consistency';
import type { AvuStore } from '../store';

export const EXPORT_FORMATS = ['llava', 'sharegpt', 'dpo'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Training stage of a Q&A subset (paper 3.3): 1 = AVU-Pretrain, 2 = the instruction subsets. */
export function stageOf(subset: Subset): 1 | 2 {
  return subset === 'pretrain' ? 1 : 2;
}

export interface ExportGroup {
  record: AvuSample;
  subset: Subset;
  /** Accepted items of that subset, with the final answer (the edit when there is one). */
  turns: { item: QaItem; q: string; a: string }[];
}

export interface Exclusions {
  droppedRecords: number;
  rejected: number;
  pending: number;
  /** Items whose subset the record's subset does not allow (e.g. Specific items on a high sample). */
  otherSubset: number;
}

/** The groups (record, subset) to export, and what was left out. */
export function collectGroups(store: AvuStore, signal?: AbortSignal): { groups: ExportGroup[]; excluded: Exclusions; records: number } {
  const groups: ExportGroup[] = [];
  const excluded: Exclusions = { droppedRecords: 0, rejected: 0, pending: 0, otherSubset: 0 };
  let records = 0;
  for (const record of store.records(signal)) {
    if (!record.scores.kept) {
      excluded.droppedRecords++;
      continue;
    }
    const allowed = qaSubsetsFor(record.subset);
    const bySubset = new Map<Subset, ExportGroup['turns']>();
    for (const item of record.qa) {
      if (item.status === 'rejected') excluded.rejected++;
      else if (item.status === 'pending') excluded.pending++;
      else if (!allowed.includes(item.subset)) excluded.otherSubset++;
      else {
        const list = bySubset.get(item.subset) ?? [];
        list.push({ item, q: item.q, a: item.edit?.a ?? item.a });
        bySubset.set(item.subset, list);
      }
    }
    if (bySubset.size > 0) records++;
    for (const s of SUBSETS) {
      const turns = bySubset.get(s);
      if (turns) groups.push({ record, subset: s, turns });
    }
  }
  throwIfAborted(signal);
  return { groups, excluded, records };
}

export interface ExportFile {
  name: string;
  data: unknown;
  /** Entries in the file (for the manifest). */
  samples: number;
}

export interface ExportManifest {
  format: ExportFormat;
  schemaVersion: 1;
  /** The dataset root relative to the export folder; media paths in the files are relative to it. */
  mediaRoot: string;
  counts: {
    records: number;
    samples: Record<string, number>;
    qa: Record<Subset, number>;
    excluded: Exclusions;
  };
  files: { name: string; bytes: number; sha256: string }[];
  contentHash: string;
}

export function toJsonText(data: unknown): string {
  return JSON.stringify(data, null, 2) + '\n';
}

export function writeExport(
  outDir: string,
  datasetRoot: string,
  format: ExportFormat,
  files: ExportFile[],
  counts: Omit<ExportManifest['counts'], 'samples'>,
): ExportManifest {
  fs.mkdirSync(outDir, { recursive: true });
  const entries: ExportManifest['files'] = [];
  const samples: Record<string, number> = {};
  for (const f of files) {
    const text = toJsonText(f.data);
    fs.writeFileSync(path.join(outDir, f.name), text);
    entries.push({ name: f.name, bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') });
    samples[f.name] = f.samples;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  const contentHash = 'sha256:' + createHash('sha256').update(entries.map((e) => `${e.name}\0${e.sha256}\n`).join('')).digest('hex');
  const mediaRoot = path.relative(path.resolve(outDir), path.resolve(datasetRoot)).split(path.sep).join('/') || '.';
  const manifest: ExportManifest = { format, schemaVersion: 1, mediaRoot, counts: { ...counts, samples }, files: entries, contentHash };
  fs.writeFileSync(path.join(outDir, 'manifest.json'), toJsonText(manifest));
  return manifest;
}

export function countQa(groups: readonly ExportGroup[]): Record<Subset, number> {
  const out = Object.fromEntries(SUBSETS.map((s) => [s, 0])) as Record<Subset, number>;
  for (const g of groups) out[g.subset] += g.turns.length;
  return out;
}
