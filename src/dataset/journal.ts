// Append-only journal files: one line per action, framed as `<crc32 hex> <json>\n`.
// A line is trusted only when it ends with '\n' and its checksum matches, so a write torn by a crash
// (or a line someone edited by hand) is recognised and never applied. Each process appends to its own
// file with O_APPEND and fdatasync before it reports an action as done.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { isJournalEntry, type JournalEntry } from './ops';

export function frameLine(entry: JournalEntry): string {
  const json = JSON.stringify(entry);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

export interface BadLine {
  /** Byte offset of the line in its file. */
  offset: number;
  text: string;
  reason: string;
}

export interface JournalRead {
  entries: JournalEntry[];
  bad: BadLine[];
  /** Bytes after the last '\n': an append in flight, or one cut short by a crash. */
  tail: string;
  /** Offset just after the last complete line; the next incremental read starts here. */
  endOffset: number;
}

function parseLine(line: string): JournalEntry | string {
  const m = /^([0-9a-f]{8}) (.*)$/s.exec(line);
  if (!m) return 'the line has no checksum frame';
  const [, sum, json] = m as unknown as [string, string, string];
  if (crc32(json).toString(16).padStart(8, '0') !== sum) return 'the checksum does not match (torn or edited line)';
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return 'the line is not JSON';
  }
  return isJournalEntry(v) ? v : 'the line is not a store action';
}

/** Reads a journal from `fromOffset` (0: the whole file). A missing file reads as empty. */
export function readJournal(file: string, fromOffset = 0): JournalRead {
  let buf: Buffer;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.max(0, size - fromOffset);
      buf = Buffer.alloc(len);
      let got = 0;
      while (got < len) {
        const n = fs.readSync(fd, buf, got, len - got, fromOffset + got);
        if (n === 0) break;
        got += n;
      }
      buf = buf.subarray(0, got);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], bad: [], tail: '', endOffset: fromOffset };
    throw err;
  }
  const entries: JournalEntry[] = [];
  const bad: BadLine[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) break;
    const text = buf.toString('utf8', start, nl);
    if (text.trim() !== '') {
      const r = parseLine(text);
      if (typeof r === 'string') bad.push({ offset: fromOffset + start, text, reason: r });
      else entries.push(r);
    }
    start = nl + 1;
  }
  return { entries, bad, tail: buf.toString('utf8', start), endOffset: fromOffset + start };
}

/** Appends framed entries to one journal file; `append` returns once the bytes are on disk. */
export class JournalWriter {
  private fd: number;
  constructor(readonly file: string) {
    const existed = fs.existsSync(file);
    this.fd = fs.openSync(file, 'a');
    // A torn tail left by an earlier crash of this same file name would glue onto our first line.
    const size = fs.fstatSync(this.fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      const rfd = fs.openSync(file, 'r');
      try {
        fs.readSync(rfd, last, 0, 1, size - 1);
      } finally {
        fs.closeSync(rfd);
      }
      if (last[0] !== 0x0a) fs.writeSync(this.fd, '\n');
    }
    if (!existed) fsyncDir(path.dirname(file));
  }

  append(entries: readonly JournalEntry[]): void {
    if (entries.length === 0) return;
    const data = Buffer.from(entries.map(frameLine).join(''), 'utf8');
    let off = 0;
    while (off < data.length) off += fs.writeSync(this.fd, data, off, data.length - off);
    fs.fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Writes a file so that readers see either the old or the new content, never a mix: tmp, fsync, rename. */
export function writeFileAtomic(file: string, data: string, tmpDir: string, tag: string): void {
  const tmp = path.join(tmpDir, `${path.basename(file)}.${tag}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    const buf = Buffer.from(data, 'utf8');
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}
