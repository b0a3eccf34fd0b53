// Keeping bad data aside instead of dropping it: corrupt record files are moved to .avu/quarantine/,
// bad journal lines and orphan actions are copied there, and each case becomes a StoreProblem that
// the CLI and the extension show.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type ProblemKind = 'corrupt-record' | 'bad-journal-line' | 'torn-journal-tail' | 'orphan-action';

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
  ) {}

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
    fs.mkdirSync(this.dir, { recursive: true });
    const dest = path.join(this.dir, `${path.basename(file)}.${Date.now()}-${process.pid}`);
    try {
      fs.renameSync(file, dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    fs.writeFileSync(`${dest}.reason.txt`, reason + '\n');
    this.push({ kind: 'corrupt-record', file: this.rel(file), detail: reason, keptAt: this.rel(dest) });
    return true;
  }

  /** Copies text aside once per (file, offset, kind); later sightings of the same line are not repeated. */
  keepText(kind: ProblemKind, file: string, offset: number, text: string, reason: string): void {
    const key = `${kind}:${path.basename(file)}:${offset}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    fs.mkdirSync(this.dir, { recursive: true });
    const dest = path.join(this.dir, `${path.basename(file)}@${offset}.${kind}.txt`);
    if (!fs.existsSync(dest)) fs.writeFileSync(dest, `${reason}\n${text}\n`);
    this.push({ kind, file: this.rel(file), detail: `${reason} (byte ${offset})`, keptAt: this.rel(dest) });
  }
}
