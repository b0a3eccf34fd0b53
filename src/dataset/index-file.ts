// .avu/index.tsv: a cache of record summaries keyed by the record file's (mtime, size, inode), so that
// opening a large dataset parses only the record files that changed. One line per record, tab-separated,
// the clip as a JSON string: a nested JSON document of 100k summaries costs more to parse than the
// whole rest of opening. Missing or unreadable: every record file is parsed once and it is rewritten.
import * as fs from 'node:fs';
import { SUBSETS, type Subset } from './record';
import { writeFileAtomic } from './journal';
import type { RecordSummary } from './summary';

export interface Stamp {
  m: number;
  s: number;
  i: number;
}

export function stampOf(st: fs.Stats): Stamp {
  return { m: st.mtimeMs, s: st.size, i: st.ino };
}

export function sameStamp(a: Stamp | undefined, b: Stamp): boolean {
  return !!a && a.m === b.m && a.s === b.s && a.i === b.i;
}

const HEADER = 'avu-index\t1';

export function readIndexFile(file: string, stamps: Map<string, Stamp>, sums: Map<string, RecordSummary>): void {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return;
  }
  if (!text.startsWith(HEADER + '\n')) return;
  let start = HEADER.length + 1;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) break;
    const f = text.slice(start, nl).split('\t');
    start = nl + 1;
    if (f.length !== 14) continue;
    const [id, m, sz, ino, clip, subset, cons, conf, kept, total, pending, accepted, rejected, edited] = f as [
      string, string, string, string, string, string, string, string, string, string, string, string, string, string,
    ];
    let clipPath: unknown = clip.length >= 2 && !clip.includes('\\') ? clip.slice(1, -1) : undefined;
    if (clipPath === undefined) {
      try {
        clipPath = JSON.parse(clip);
      } catch {
        continue;
      }
    }
    if (typeof clipPath !== 'string' || !SUBSETS.includes(subset as Subset)) continue;
    stamps.set(id, { m: Number(m), s: Number(sz), i: Number(ino) });
    sums.set(id, {
      id, clip: clipPath, subset: subset as Subset, consistency: Number(cons), confidence: conf === '-' ? null : Number(conf), kept: kept === '1',
      qa: { total: Number(total), pending: Number(pending), accepted: Number(accepted), rejected: Number(rejected), edited: Number(edited) },
    });
  }
}

/** Writes the summaries of records whose file is up to date (`skip`: records with journal actions). */
export function writeIndexFile(
  file: string,
  stamps: ReadonlyMap<string, Stamp>,
  sums: ReadonlyMap<string, RecordSummary>,
  skip: (id: string) => boolean,
  tmpDir: string,
  tag: string,
): void {
  const lines: string[] = [HEADER];
  for (const [id, st] of stamps) {
    const x = sums.get(id);
    if (!x || skip(id)) continue;
    const q = x.qa;
    lines.push([id, st.m, st.s, st.i, JSON.stringify(x.clip), x.subset, x.consistency, x.confidence ?? '-', x.kept ? 1 : 0, q.total, q.pending, q.accepted, q.rejected, q.edited].join('\t'));
  }
  writeFileAtomic(file, lines.join('\n') + '\n', tmpDir, tag);
}
