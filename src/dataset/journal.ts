// Append-only journal files: one line per action, framed as `<crc32 hex> <json>\n`.
// A line is trusted only when it ends with '\n' and its checksum matches, so a write torn by a crash
// (or a line someone edited by hand) is recognised and never applied. Each process appends to its own
// file with O_APPEND and fdatasync before it reports an action as done.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { DatasetError } from '../core/errors';
import { parseJson } from '../core/json-input';
import { journalEntryProblem, type JournalEntry } from './ops';

/**
 * The file-system calls through which the store writes (journal appends, atomic files, exports). Tests
 * replace members to simulate a disk that fills up part-way through a write; nothing else should.
 */
export const storeIo = {
  writeSync: (fd: number, buf: Buffer, off: number, len: number): number => fs.writeSync(fd, buf, off, len),
  fsyncSync: (fd: number): void => fs.fsyncSync(fd),
  fdatasyncSync: (fd: number): void => fs.fdatasyncSync(fd),
};

const IO_ADVICE: Record<string, string> = {
  ENOSPC: 'the disk is full; free some space and try again',
  EDQUOT: 'the disk quota is used up; free some space and try again',
  EACCES: 'permission denied; give your user write access to it (or run as its owner) and try again',
  EPERM: 'the operation is not permitted; check the permissions of the folder and try again',
  EROFS: 'the file system is read-only; copy the dataset to a writable place and try again',
};

/**
 * An AvuError for a failed file-system call: one sentence naming the file and what to do. Errors that
 * already are DatasetErrors, and codes with no advice, pass through unchanged.
 */
export function ioError(err: unknown, file: string, doing: string): unknown {
  if (err instanceof DatasetError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const advice = code ? IO_ADVICE[code] : undefined;
  if (!advice) return err;
  const kind = code === 'ENOSPC' || code === 'EDQUOT' ? 'disk-full' : code === 'EROFS' ? 'read-only' : 'no-permission';
  return new DatasetError(kind, `Could not ${doing} ${file}: ${advice} (nothing already acknowledged was lost).`, { cause: err });
}

/** Writes all of `buf` at the fd's position (the loop a short write needs). */
function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += storeIo.writeSync(fd, buf, off, buf.length - off);
}

/** Longest journal line read (a put carries a whole record, at most 64 MiB as a file). */
export const JOURNAL_LINE_MAX_BYTES = 96 * 2 ** 20;

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
  /** Byte offset of each entry's line in its file (same order as `entries`). */
  offsets: number[];
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
  const parsed = parseJson(json);
  if (!parsed.ok) return parsed.error.startsWith('nests') ? `the line ${parsed.error}` : 'the line is not JSON';
  const v = parsed.value;
  const problem = journalEntryProblem(v);
  return problem === null ? (v as JournalEntry) : `the line is not a valid store action: ${problem}`;
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
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], offsets: [], bad: [], tail: '', endOffset: fromOffset };
    throw ioError(err, file, 'read the journal');
  }
  const entries: JournalEntry[] = [];
  const offsets: number[] = [];
  const bad: BadLine[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) break;
    if (nl - start > JOURNAL_LINE_MAX_BYTES) {
      // Too long to be an action of ours, and too long for a string: kept aside by its first bytes.
      bad.push({ offset: fromOffset + start, text: buf.toString('utf8', start, start + 4096), reason: `the line is longer than ${JOURNAL_LINE_MAX_BYTES / 2 ** 20} MiB, the limit for one action` });
      start = nl + 1;
      continue;
    }
    const text = buf.toString('utf8', start, nl);
    if (text.trim() !== '') {
      const r = parseLine(text);
      if (typeof r === 'string') bad.push({ offset: fromOffset + start, text, reason: r });
      else {
        entries.push(r);
        offsets.push(fromOffset + start);
      }
    }
    start = nl + 1;
  }
  const tail = buf.toString('utf8', start, Math.min(buf.length, start + JOURNAL_LINE_MAX_BYTES));
  return { entries, offsets, bad, tail, endOffset: fromOffset + start };
}

/**
 * Appends framed entries to one journal file; `append` returns once the bytes are on disk. An append
 * that fails part-way (a full disk) is cut back to where it started, so the file keeps ending with a
 * complete line and the next action is never glued to a torn one; until that cut succeeds nothing more
 * is appended.
 */
export class JournalWriter {
  private fd: number;
  /** Length of the file up to its last complete line of ours: where the next append starts. */
  private size: number;
  /** A failed append may have left bytes after `size`; they must go before anything else is written. */
  private torn = false;
  constructor(readonly file: string) {
    const existed = fs.existsSync(file);
    try {
      this.fd = fs.openSync(file, 'a');
    } catch (err) {
      throw ioError(err, file, 'open the journal');
    }
    // A torn tail left by an earlier crash of this same file name would glue onto our first line.
    this.size = fs.fstatSync(this.fd).size;
    if (this.size > 0) {
      const last = Buffer.alloc(1);
      const rfd = fs.openSync(file, 'r');
      try {
        fs.readSync(rfd, last, 0, 1, this.size - 1);
      } finally {
        fs.closeSync(rfd);
      }
      if (last[0] !== 0x0a) {
        this.size = this.endTornLine();
      }
    }
    if (!existed) fsyncDir(path.dirname(file));
  }

  /** Ends a torn last line left by a crash with '\n' (it then reads as one bad line, not glued to ours). */
  private endTornLine(): number {
    try {
      writeAll(this.fd, Buffer.from('\n'));
      storeIo.fdatasyncSync(this.fd);
    } catch (err) {
      fs.closeSync(this.fd);
      this.fd = -1;
      throw ioError(err, this.file, 'repair the end of the journal');
    }
    return fs.fstatSync(this.fd).size;
  }

  append(entries: readonly JournalEntry[]): void {
    if (entries.length === 0) return;
    if (this.fd < 0) throw new DatasetError('journal-closed', `The journal ${this.file} is closed; reopen the dataset and try again.`);
    const data = Buffer.from(entries.map(frameLine).join(''), 'utf8');
    if (this.torn) this.cutBack();
    try {
      writeAll(this.fd, data);
      storeIo.fdatasyncSync(this.fd);
    } catch (err) {
      // Part of the line may be in the file: cut it back to where this append started.
      this.torn = true;
      try {
        this.cutBack();
      } catch {
        // Still torn; the next append tries again before it writes, and a reader ignores the torn tail.
      }
      throw ioError(err, this.file, 'record the action in the journal');
    }
    this.size += data.length;
  }

  private cutBack(): void {
    fs.ftruncateSync(this.fd, this.size);
    storeIo.fdatasyncSync(this.fd);
    this.torn = false;
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
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      writeAll(fd, Buffer.from(data, 'utf8'));
      storeIo.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true }); // no partial file left behind; the old one is untouched
    throw ioError(err, file, 'write');
  }
}
