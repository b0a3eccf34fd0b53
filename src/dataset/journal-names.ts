// Journal file names say who writes them: `<pid>-<8 hex>-<host>.<segment>.jsonl`. The writer id is new
// for every store instance (two stores in one process never share a file); the segment grows at each
// compaction. A compaction may delete only its own sealed segments and those of processes that are
// gone; a live process's journal is its own to delete.
import * as os from 'node:os';
import { randomBytes } from 'node:crypto';
import { pidAlive } from './lock';

const JOURNAL_RE = /^(\d+)-([0-9a-f]{8})-(.+)\.(\d+)\.jsonl$/;

function hostTag(): string {
  return os.hostname().replace(/[^A-Za-z0-9.-]/g, '_');
}

export function newWriterId(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}-${hostTag()}`;
}

export function deletableJournals(names: readonly string[], writerId: string, currentSegment: number): string[] {
  const out: string[] = [];
  const host = hostTag();
  for (const name of names) {
    const m = JOURNAL_RE.exec(name);
    if (!m) continue;
    const [, pid, rand, h, seg] = m as unknown as [string, string, string, string, string];
    if (`${pid}-${rand}-${h}` === writerId) {
      if (Number(seg) < currentSegment) out.push(name);
    } else if (h === host && !pidAlive(Number(pid))) {
      out.push(name);
    }
  }
  return out;
}
