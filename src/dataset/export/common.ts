// What goes into a training export, and how export files are written: kept samples only, accepted or
// edited Q&A only (the edit replaces the model's answer), the Q&A subsets the record's subset allows,
// records in id order and items in record order, media paths relative to the dataset root, and a
// manifest with counts, per-file sha256 and a content hash. No timestamps: two runs give the same bytes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { DatasetError, throwIfAborted } from '../../core/errors';
import { fsyncDir, ioError, storeIo } from '../journal';
import { pidAlive } from '../lock';
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
  /** What the store could not read (quarantined records, bad journal lines): present only when some. */
  problems?: { kind: string; file: string; detail: string }[];
}

export function toJsonText(data: unknown): string {
  return JSON.stringify(data, null, 2) + '\n';
}

/**
 * Refuses an export folder that is not one: inside the store (.avu/), an existing file, the dataset
 * itself or a folder around it, or a folder holding anything but an earlier export (replacing it
 * would delete those files). Returns the absolute target.
 */
export function checkExportTarget(outDir: string, datasetRoot: string): string {
  const target = path.resolve(outDir);
  const real = (p: string): string => {
    // The real path of the nearest existing ancestor, with the rest appended (symlinks resolved).
    const rest: string[] = [];
    let cur = p;
    for (;;) {
      try {
        return path.join(fs.realpathSync(cur), ...rest.reverse());
      } catch {
        const up = path.dirname(cur);
        if (up === cur) return p;
        rest.push(path.basename(cur));
        cur = up;
      }
    }
  };
  const t = real(target);
  const root = real(path.resolve(datasetRoot));
  const inside = (child: string, parent: string): boolean => {
    const r = path.relative(parent, child);
    return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
  };
  if (inside(t, path.join(root, '.avu')))
    throw new DatasetError('bad-out', `--out ${outDir} is inside the dataset's store folder .avu/; choose a folder outside it.`);
  if (inside(root, t))
    throw new DatasetError('bad-out', `--out ${outDir} is the dataset folder or holds it; choose a new folder for the export.`);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(target);
  } catch {
    st = undefined;
  }
  if (st && !st.isDirectory()) throw new DatasetError('bad-out', `--out ${outDir} is an existing file, not a folder; choose a folder for the export.`);
  if (st) {
    const names = fs.readdirSync(target);
    if (names.length > 0) {
      let listed: Set<string> | undefined;
      try {
        const m = JSON.parse(fs.readFileSync(path.join(target, 'manifest.json'), 'utf8')) as Partial<ExportManifest>;
        if (EXPORT_FORMATS.includes(m.format as ExportFormat) && Array.isArray(m.files))
          listed = new Set(['manifest.json', ...m.files.map((f) => String(f?.name))]);
      } catch {
        listed = undefined;
      }
      const foreign = names.find((n) => !listed?.has(n));
      if (foreign !== undefined)
        throw new DatasetError('bad-out', `--out ${outDir} already holds files that are not an AVU export (${foreign}); choose a new or empty folder.`);
    }
  }
  return target;
}

/**
 * What an export killed part-way left beside its target (a signal ends `avu export` at once): its
 * temporary folder goes; a previous export it had moved aside comes back if the target is missing.
 */
function removeLeftovers(parent: string, base: string): void {
  const re = /^\.(.*)\.avu-(export|old)-(\d+)-[0-9a-f]{8}$/;
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const n of names) {
    const m = re.exec(n);
    if (!m || m[1] !== base || pidAlive(Number(m[3]))) continue;
    const p = path.join(parent, n);
    try {
      if (m[2] === 'old' && !fs.existsSync(path.join(parent, base))) fs.renameSync(p, path.join(parent, base));
      else fs.rmSync(p, { recursive: true, force: true });
    } catch {
      // Best effort: a leftover we cannot remove does not stop this export.
    }
  }
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdirSync spins forever on a path under /proc
 * (ENOENT from a folder that exists), so a bad --out would hang the command at 100% CPU.
 */
function makeFolder(dir: string, outDir: string): void {
  const missing: string[] = [];
  for (let cur = dir; !fs.existsSync(cur); cur = path.dirname(cur)) {
    missing.push(cur);
    if (path.dirname(cur) === cur) break;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && fs.statSync(d).isDirectory()) continue;
      const advised = ioError(err, d, 'create the export folder');
      if (advised instanceof DatasetError) throw advised;
      throw new DatasetError('bad-out', `--out ${outDir} cannot be made: no folder can be created in ${path.dirname(d)} (${code ?? String(err)}); choose a folder on an ordinary disk.`, { cause: err });
    }
  }
}

function writeDurable(file: string, text: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += storeIo.writeSync(fd, buf, off, buf.length - off);
    storeIo.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes the export atomically: every file and the manifest go into a temporary folder beside the
 * target, which then replaces the target by rename. A failure at any point leaves the previous export
 * whole (its files and manifest agree) and no partial file.
 */
export function writeExport(
  outDir: string,
  datasetRoot: string,
  format: ExportFormat,
  files: ExportFile[],
  counts: Omit<ExportManifest['counts'], 'samples'>,
  signal?: AbortSignal,
  problems: readonly { kind: string; file: string; detail: string }[] = [],
): ExportManifest {
  const target = checkExportTarget(outDir, datasetRoot);
  const parent = path.dirname(target);
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = path.join(parent, `.${path.basename(target)}.avu-export-${tag}`);
  const old = path.join(parent, `.${path.basename(target)}.avu-old-${tag}`);
  makeFolder(parent, outDir);
  removeLeftovers(parent, path.basename(target));
  makeFolder(tmp, outDir);
  let current = tmp;
  try {
    const entries: ExportManifest['files'] = [];
    const samples: Record<string, number> = {};
    for (const f of files) {
      throwIfAborted(signal);
      const text = toJsonText(f.data);
      current = path.join(target, f.name);
      writeDurable(path.join(tmp, f.name), text);
      entries.push({ name: f.name, bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') });
      samples[f.name] = f.samples;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    const contentHash = 'sha256:' + createHash('sha256').update(entries.map((e) => `${e.name}\0${e.sha256}\n`).join('')).digest('hex');
    const mediaRoot = path.relative(target, path.resolve(datasetRoot)).split(path.sep).join('/') || '.';
    const manifest: ExportManifest = { format, schemaVersion: 1, mediaRoot, counts: { ...counts, samples }, files: entries, contentHash };
    if (problems.length > 0) manifest.problems = problems.map((p) => ({ kind: p.kind, file: p.file, detail: p.detail }));
    current = path.join(target, 'manifest.json');
    writeDurable(path.join(tmp, 'manifest.json'), toJsonText(manifest));
    fsyncDir(tmp);
    throwIfAborted(signal);
    current = target;
    if (fs.existsSync(target)) {
      fs.renameSync(target, old);
      try {
        fs.renameSync(tmp, target);
      } catch (err) {
        fs.renameSync(old, target);
        throw err;
      }
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, target);
    }
    fsyncDir(parent);
    return manifest;
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw ioError(err, current, 'write the export file');
  }
}

export function countQa(groups: readonly ExportGroup[]): Record<Subset, number> {
  const out = Object.fromEntries(SUBSETS.map((s) => [s, 0])) as Record<Subset, number>;
  for (const g of groups) out[g.subset] += g.turns.length;
  return out;
}
