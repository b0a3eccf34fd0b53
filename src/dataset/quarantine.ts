// Keeping bad data aside instead of dropping it: corrupt record files are moved to .avu/quarantine/,
// bad journal lines and orphan actions are copied there, and each case becomes a StoreProblem that
// the CLI and the extension show.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ioError } from './journal';

export type ProblemKind = 'corrupt-record' | 'unreadable-record' | 'bad-journal-line' | 'torn-journal-tail' | 'orphan-action';

export interface StoreProblem {
  kind: ProblemKind;
  /** The file the problem was found in, relative to the dataset root. */
  file: string;
  detail: string;
  /** Where the data was kept aside, relative to the dataset root. */
  keptAt: string;
}

export class Quarantine {
  readonly problems: StoreProblem[] = [];
  private readonly seen = new Set<string>();
  constructor(
    private readonly root: string,
    readonly dir: string,
    /** Read-only (export, a read-only copy): problems are reported, nothing is moved or written. */
    private readonly readOnly = false,
  ) {}

  /** Reports a problem without keeping anything aside (a file left where it is). */
  report(kind: ProblemKind, file: string, detail: string): void {
    this.push({ kind, file: this.rel(file), detail, keptAt: this.rel(file) });
  }

  /** Reports what earlier sessions kept aside, so a problem stays visible until someone deals with it. */
  loadExisting(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (name.endsWith('.reason.txt')) continue;
      const full = path.join(this.dir, name);
      const m = /^(.*)@(\d+)\.([a-z-]+)\.txt$/.exec(name);
      const firstLine = (f: string): string => {
        try {
          return fs.readFileSync(f, 'utf8').split('\n')[0] ?? '';
        } catch {
          return '';
        }
      };
      if (m) {
        this.seen.add(`${m[3]}:${m[1]}:${m[2]}`);
        this.push({ kind: m[3] as ProblemKind, file: `.avu/journal/${m[1]}`, detail: `${firstLine(full)} (byte ${m[2]})`, keptAt: this.rel(full) });
      } else {
        const rec = name.replace(/\.\d+-\d+$/, '');
        this.push({ kind: 'corrupt-record', file: `.avu/records/${rec}`, detail: firstLine(`${full}.reason.txt`), keptAt: this.rel(full) });
      }
    }
  }

  private push(p: StoreProblem): void {
    if (!this.problems.some((q) => q.keptAt === p.keptAt)) this.problems.push(p);
  }

  private rel(p: string): string {
    return path.relative(this.root, p).split(path.sep).join('/');
  }

  /** Moves a record file aside. Returns false when it vanished first (another process moved it). */
  moveFile(file: string, reason: string): boolean {
    if (this.readOnly) {
      this.push({ kind: 'corrupt-record', file: this.rel(file), detail: `${reason} (left in place: read-only)`, keptAt: this.rel(file) });
      return true;
    }
    const dest = path.join(this.dir, `${path.basename(file)}.${Date.now()}-${process.pid}`);
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      fs.renameSync(file, dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw ioError(err, file, 'move aside the broken record file');
    }
    try {
      fs.writeFileSync(`${dest}.reason.txt`, reason + '\n');
    } catch {
      // A full disk: the file is aside all the same, and the problem below says why.
    }
    this.push({ kind: 'corrupt-record', file: this.rel(file), detail: reason, keptAt: this.rel(dest) });
    return true;
  }

  /**
   * Copies text aside once per (file, offset, kind); later sightings of the same line are not repeated.
   * Returns false when the copy could not be written (a full disk): the problem is still reported, with
   * the original file as where it is kept, and a later call tries again.
   */
  keepText(kind: ProblemKind, file: string, offset: number, text: string, reason: string): boolean {
    const key = `${kind}:${path.basename(file)}:${offset}`;
    if (this.seen.has(key)) return true;
    if (this.readOnly) {
      this.seen.add(key);
      this.push({ kind, file: this.rel(file), detail: `${reason} (byte ${offset})`, keptAt: this.rel(file) });
      return true;
    }
    const dest = path.join(this.dir, `${path.basename(file)}@${offset}.${kind}.txt`);
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      if (!fs.existsSync(dest)) fs.writeFileSync(dest, `${reason}\n${text}\n`);
    } catch {
      fs.rmSync(dest, { force: true });
      this.push({ kind, file: this.rel(file), detail: `${reason} (byte ${offset}; not yet copied aside)`, keptAt: this.rel(file) });
      return false;
    }
    this.seen.add(key);
    const pendingCopy = this.problems.findIndex((p) => p.kind === kind && p.keptAt === this.rel(file) && p.detail.includes(`(byte ${offset}; not yet`));
    if (pendingCopy >= 0) this.problems.splice(pendingCopy, 1);
    this.push({ kind, file: this.rel(file), detail: `${reason} (byte ${offset})`, keptAt: this.rel(dest) });
    return true;
  }

  /** Drops the notes of one kind kept for a journal (its actions have all been applied since). */
  forgetNotes(journalName: string, kind: ProblemKind): void {
    const prefix = `${journalName}@`;
    const suffix = `.${kind}.txt`;
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const n of names) {
      if (!n.startsWith(prefix) || !n.endsWith(suffix)) continue;
      const full = path.join(this.dir, n);
      fs.rmSync(full, { force: true });
      const rel = this.rel(full);
      const i = this.problems.findIndex((p) => p.keptAt === rel);
      if (i >= 0) this.problems.splice(i, 1);
      this.seen.delete(`${kind}:${journalName}:${n.slice(prefix.length, -suffix.length)}`);
    }
  }
}
