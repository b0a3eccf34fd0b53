/*
 * The AVU dataset store, in `<dataset>/.avu/`.
 *
 *   records/<id>.json                 one file per sample record, canonical pretty JSON (stable key
 *                                     order, final newline): what git diffs and people read or edit
 *   journal/<pid>-<rand>-<host>.<n>.jsonl
 *                                     append-only action log, one file per store instance and segment,
 *                                     lines framed `<crc32> <json>\n` (journal.ts)
 *   index.tsv                        cache of per-record summaries keyed by file (mtime, size, inode);
 *                                     rebuilt from records/ whenever it is missing or stale
 *   lock                              compaction lock (lock.ts)
 *   quarantine/                       corrupt record files and bad journal lines, kept aside (quarantine.ts)
 *   tmp/                              temporary files of atomic renames
 *
 * Durability: an action (review, edit, undo, put, patch) is appended to this instance's own journal
 * and fdatasync'ed before the call returns; only then is it applied in memory. A SIGKILL or power cut
 * can therefore lose only the action in flight, whose torn line fails its checksum and is ignored.
 *
 * Two processes: each appends to its own journal file, so writes never interleave. A reader applies
 * every journal's actions on top of the record files. Actions carry ids and a record's history lists
 * the ids applied to it, so applying an action twice is a no-op (ops.ts). Updates of different Q&A
 * items merge; two processes changing the same item resolve by timestamp (last writer wins).
 *
 * Compaction (under the lock): rotate our journal, re-read everything, write each record that has
 * journal actions (tmp + fsync + rename, then fsync the directory), and only then delete the journal
 * segments whose actions are now in record files: our own sealed segments and those of dead processes.
 * A live process's journal is never touched by another. A crash mid-compaction leaves journals in
 * place, and replaying them is idempotent.
 *
 * Corruption: a record file that is not valid JSON or not a valid record is moved to quarantine/
 * and reported in `problems`; a journal line whose checksum fails, or that is not a valid action (the
 * checks of a live one: journals travel with datasets), is copied there and skipped. Actions on a
 * record that is broken or missing are never dropped: their journal stays until the record is mended.
 * Nothing else is affected.
 *
 * Scale: opening reads index.tsv and stats every record file; only changed files are parsed. Full
 * records are loaded on demand and kept in a small LRU cache.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatasetError, throwIfAborted } from '../core/errors';
import { parseJson } from '../core/json-input';
import type { AvuSample, QaItem } from './record';
import { readIndexFile, sameStamp, stampOf, writeIndexFile, type Stamp } from './index-file';
import { canonicalRecordJson } from './canonical';
import { JournalWriter, fsyncDir, ioError, readJournal, writeFileAtomic } from './journal';
import { DirLock } from './lock';
import { deletableJournals, newWriterId } from './journal-names';
import {
  applyEntry, asQaState, journalEntryProblem, opRecordId, qaState, undoRedoTargets,
  type JournalEntry, type QaState, type RecordPatch, type ReviewAction, type StoreOp,
} from './ops';
import { Quarantine, type StoreProblem } from './quarantine';
import { checkRecord, isValidRecordId } from './validate';
import { summarize, type RecordSummary } from './summary';
import { recordIdForClip } from './sample';

export type { RecordSummary, StoreProblem };

export interface StoreOptions {
  signal?: AbortSignal;
  /** Compact automatically once our journal holds this many actions (default 2000; 0: never). */
  autoCompactAfter?: number;
  /**
   * Read only (exports, a read-only copy of a dataset): creates, moves and writes nothing, takes no lock;
   * problems are reported in `problems` and files stay where they are; actions throw.
   */
  readOnly?: boolean;
  /** Called once per compaction that has waited a second for the lock another live process holds. */
  onLockWait?: (holder: { pid: number; host: string }) => void;
}


const CACHE_MAX = 2000;
const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** A record file bigger than this is reported, not read (a hand edit or an attack, never the store). */
const RECORD_MAX_BYTES = 64 * 2 ** 20;


function byTime(a: JournalEntry, b: JournalEntry): number {
  return a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export class AvuStore {
  readonly avuDir: string;
  private readonly recordsDir: string;
  private readonly journalDir: string;
  private readonly tmpDir: string;
  private readonly quarantine: Quarantine;
  private readonly lock: DirLock;
  private readonly onLockWait: StoreOptions['onLockWait'];
  private readonly writerId = newWriterId();
  private segment = 0;
  private writer: JournalWriter | undefined;
  private ownCount = 0;
  private seq = 0;
  private lastAt = '';
  private readonly sums = new Map<string, RecordSummary>();
  private readonly stamps = new Map<string, Stamp>();
  private readonly cache = new Map<string, AvuSample>();
  /** Journal actions not (yet known to be) in the record files, per record id. */
  private readonly pending = new Map<string, JournalEntry[]>();
  private readonly pendingIds = new Set<string>();
  private readonly journalOffsets = new Map<string, number>();
  private readonly autoCompactAfter: number;
  readonly readOnly: boolean;

  private constructor(readonly root: string, opts: StoreOptions) {
    this.readOnly = opts.readOnly === true;
    this.onLockWait = opts.onLockWait;
    this.avuDir = path.join(root, '.avu');
    this.recordsDir = path.join(this.avuDir, 'records');
    this.journalDir = path.join(this.avuDir, 'journal');
    this.tmpDir = path.join(this.avuDir, 'tmp');
    this.quarantine = new Quarantine(root, path.join(this.avuDir, 'quarantine'), this.readOnly);
    this.lock = new DirLock(path.join(this.avuDir, 'lock'));
    this.autoCompactAfter = opts.autoCompactAfter ?? 2000;
  }

  /** Opens (creating if needed) the store of the dataset folder `root`. */
  static async open(root: string, opts: StoreOptions = {}): Promise<AvuStore> {
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory())
      throw new DatasetError('no-dataset', `The dataset folder ${root} does not exist; pass a folder of clips.`);
    const store = new AvuStore(path.resolve(root), opts);
    if (store.readOnly) {
      store.quarantine.loadExisting();
      store.readIndex();
      await store.refresh(opts.signal);
      return store;
    }
    for (const d of [store.recordsDir, store.journalDir, store.tmpDir]) {
      try {
        fs.mkdirSync(d, { recursive: true });
      } catch (err) {
        throw ioError(err, d, 'create the store folder');
      }
    }
    // Journals are not ignored: they hold acknowledged actions not yet folded into records/, so a
    // commit or copy made while a window is open keeps them (and a reader treats them as input).
    const ignore = path.join(store.avuDir, '.gitignore');
    try {
      if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, 'index.tsv\nlock\nlock.*\ntmp/\n');
    } catch {
      // A convenience only; a full or read-only disk must not keep the dataset from opening.
    }
    store.quarantine.loadExisting();
    store.readIndex();
    const parsed = await store.refresh(opts.signal);
    if (parsed > 0) {
      try {
        if (store.lock.tryAcquire()) {
          try {
            store.writeIndex();
          } finally {
            store.lock.release();
          }
        }
      } catch {
        // The index is a cache: a full disk only makes the next open slower.
      }
    }
    return store;
  }

  get problems(): readonly StoreProblem[] {
    return this.quarantine.problems;
  }

  /** Record ids, sorted. */
  ids(): string[] {
    return [...this.sums.keys()].sort();
  }

  summary(id: string): RecordSummary | undefined {
    return this.sums.get(id);
  }

  /** The id of the record of a clip (path relative to the dataset root), whatever id it was given. */
  idForClip(clip: string): string | undefined {
    const want = clip.split('\\').join('/');
    const guess = recordIdForClip(want);
    if (this.sums.get(guess)?.clip === want) return guess;
    for (const [id, s] of this.sums) if (s.clip === want) return id;
    return undefined;
  }

  summaries(): RecordSummary[] {
    return this.ids().map((id) => this.sums.get(id)!);
  }

  /** A copy of the full record (record file plus journal actions), or undefined. */
  get(id: string): AvuSample | undefined {
    const r = this.load(id);
    return r ? structuredClone(r) : undefined;
  }

  /** Every record in id order, loaded one at a time (memory stays flat on large datasets). */
  *records(signal?: AbortSignal): Generator<AvuSample> {
    let n = 0;
    for (const id of this.ids()) {
      if (++n % 256 === 0) throwIfAborted(signal);
      const r = this.cache.get(id) ?? this.loadUncached(id);
      if (r) yield structuredClone(r);
    }
  }

  // ---- actions --------------------------------------------------------------------------------

  /** Adds a record, or re-captions one: pending Q&A are replaced, reviewed ones are kept. */
  put(record: AvuSample): AvuSample {
    const c = checkRecord(record);
    if (!c.ok) throw new DatasetError('bad-record', `Record ${String(record?.id)} is not valid: ${c.error}.`);
    return this.commit([{ kind: 'put', record }])[0]!;
  }

  /** Many puts and patches with one fsync (imports, rules). */
  commitMany(ops: StoreOp[]): void {
    for (const op of ops) {
      if (op.kind === 'put') {
        const c = checkRecord(op.record);
        if (!c.ok) throw new DatasetError('bad-record', `Record ${String(op.record?.id)} is not valid: ${c.error}.`);
      } else if (!this.sums.has(op.recordId) && !ops.some((o) => o.kind === 'put' && o.record.id === op.recordId)) {
        throw new DatasetError('no-record', `There is no record ${op.recordId} in this dataset.`);
      }
    }
    this.commit(ops);
  }

  /**
   * Accepts, rejects, resets or edits one Q&A item. `text`: the new answer of an edit (required), or the
   * reason of a reject (optional). `base`: the item's state as the person saw it (a panel's view), when it
   * may be older than this store's; an action on a stale view keeps the newer state as a conflict.
   */
  review(recordId: string, qaId: string, action: ReviewAction, text?: string, opts: { base?: QaState } = {}): AvuSample {
    const rec = this.mustLoad(recordId);
    const item = rec.qa.find((q) => q.id === qaId);
    if (!item) throw new DatasetError('no-qa', `Record ${recordId} has no Q&A item ${qaId}.`);
    const after: QaItem = { ...item };
    delete after.edit;
    delete after.reason;
    delete after.conflict;
    const at = this.nextAt();
    const editText = action === 'edit' ? text : undefined;
    if (action === 'accept') after.status = 'accepted';
    else if (action === 'reject') {
      after.status = 'rejected';
      if (text !== undefined && text.trim() !== '') after.reason = text.trim();
    } else if (action === 'reset') after.status = 'pending';
    else {
      if (editText === undefined || editText.trim() === '')
        throw new DatasetError('empty-edit', 'An edit needs the new answer text; it was empty.');
      after.status = 'accepted';
      after.edit = { a: editText, at };
    }
    if (action !== 'edit' && item.edit) after.edit = { ...item.edit };
    return this.commit([{ kind: 'review', recordId, qaId, action, before: opts.base ?? qaState(item), after }], at)[0]!;
  }

  addQa(recordId: string, item: QaItem): AvuSample {
    this.mustLoad(recordId);
    return this.commit([{ kind: 'addQa', recordId, item }])[0]!;
  }

  patch(recordId: string, patch: RecordPatch, action = 'patch'): AvuSample {
    this.mustLoad(recordId);
    return this.commit([{ kind: 'patch', recordId, patch, action }])[0]!;
  }

  canUndo(recordId: string): boolean {
    const r = this.load(recordId);
    return !!r && undoRedoTargets(r.history).undo !== undefined;
  }
  canRedo(recordId: string): boolean {
    const r = this.load(recordId);
    return !!r && undoRedoTargets(r.history).redo !== undefined;
  }

  /** Undoes the record's last review action; undefined when there is none. */
  undo(recordId: string): AvuSample | undefined {
    return this.undoRedo(recordId, 'undo');
  }
  redo(recordId: string): AvuSample | undefined {
    return this.undoRedo(recordId, 'redo');
  }

  private undoRedo(recordId: string, kind: 'undo' | 'redo'): AvuSample | undefined {
    const rec = this.mustLoad(recordId);
    const target = undoRedoTargets(rec.history)[kind];
    if (!target || !target.op || !target.qaId) return undefined;
    const state = asQaState(kind === 'undo' ? target.before : target.after);
    if (!state) return undefined;
    return this.commit([{ kind, recordId, target: target.op, qaId: target.qaId, state }])[0];
  }

  private nextAt(): string {
    let at = new Date().toISOString();
    if (at <= this.lastAt) at = this.lastAt; // ids break ties; never go back in time within a writer
    this.lastAt = at;
    return at;
  }

  private commit(ops: StoreOp[], at = this.nextAt()): AvuSample[] {
    if (this.readOnly) throw new DatasetError('read-only', `The dataset ${this.root} was opened read-only; open it for writing to change it.`);
    if (!this.writer) this.writer = new JournalWriter(path.join(this.journalDir, `${this.writerId}.${this.segment}.jsonl`));
    const entries: JournalEntry[] = ops.map((op) => ({ id: `${this.writerId}:${++this.seq}`, at, op }));
    // The checks a replayed line gets (journal.ts): what is written here will read back as valid.
    for (const e of entries) {
      const problem = journalEntryProblem(JSON.parse(JSON.stringify(e)));
      if (problem !== null) throw new DatasetError('bad-action', `The ${e.op.kind} action on record ${String(opRecordId(e.op))} is not valid: ${problem}.`);
    }
    this.writer.append(entries); // durable from here on
    this.ownCount += entries.length;
    const out: AvuSample[] = [];
    for (const e of entries) {
      const id = opRecordId(e.op);
      this.addPending(id, e);
      // Not cached: the file plus every pending action, this one included; applying it again is a no-op.
      const cur = this.cache.get(id) ?? this.loadUncached(id);
      const next = applyEntry(cur, e);
      if (next) {
        this.cacheSet(id, next);
        this.sums.set(id, summarize(next));
        out.push(structuredClone(next));
      }
    }
    if (this.autoCompactAfter > 0 && this.ownCount >= this.autoCompactAfter) void this.compact().catch(() => undefined);
    return out;
  }

  // ---- loading --------------------------------------------------------------------------------

  private mustLoad(id: string): AvuSample {
    const r = this.load(id);
    if (!r) throw new DatasetError('no-record', `There is no record ${id} in this dataset.`);
    return r;
  }

  private load(id: string): AvuSample | undefined {
    const hit = this.cache.get(id);
    if (hit) {
      this.cache.delete(id);
      this.cache.set(id, hit);
      return hit;
    }
    const r = this.loadUncached(id);
    if (r) this.cacheSet(id, r);
    return r;
  }

  private cacheSet(id: string, r: AvuSample): void {
    this.cache.delete(id);
    this.cache.set(id, r);
    if (this.cache.size > CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
  }

  private recordFile(id: string): string {
    return path.join(this.recordsDir, `${id}.json`);
  }

  /** Reads one record file; corrupt files go to quarantine. `skipPending`: the caller applies them. */
  private loadUncached(id: string, skipPending = false): AvuSample | undefined {
    const file = this.recordFile(id);
    let rec: AvuSample | undefined;
    let text: string | undefined;
    let bytes: Buffer | undefined;
    try {
      if (fs.statSync(file).size > RECORD_MAX_BYTES) {
        this.quarantine.moveFile(file, `larger than ${RECORD_MAX_BYTES / 2 ** 20} MiB, the limit for one record; mend it and put it back as .avu/records/${id}.json`);
        return skipPending ? undefined : this.withPending(id, undefined);
      }
      bytes = fs.readFileSync(file);
    } catch (err) {
      // One unreadable file is reported, not fatal for the whole command; its actions stay pending.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.quarantine.report('unreadable-record', file, `the record file cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}); check its permissions`);
    }
    if (bytes !== undefined) {
      try {
        text = UTF8.decode(bytes);
      } catch {
        // Decoding with replacement characters would rewrite the file's text silently at the next compaction.
        this.quarantine.moveFile(file, `not valid UTF-8; mend it and put it back as .avu/records/${id}.json`);
      }
    }
    if (text !== undefined) rec = this.parseRecordFile(file, id, text);
    return skipPending ? rec : this.withPending(id, rec);
  }

  private withPending(id: string, rec: AvuSample | undefined): AvuSample | undefined {
    for (const e of (this.pending.get(id) ?? []).slice().sort(byTime)) rec = applyEntry(rec, e);
    return rec;
  }

  private parseRecordFile(file: string, id: string, text: string): AvuSample | undefined {
    let v: unknown;
    let reason: string | undefined;
    const parsed = parseJson(text); // deep nesting would overflow the stack of every later step
    if (parsed.ok) v = parsed.value;
    else reason = parsed.error.replace(/^is not valid JSON \((.*)\)$/, 'not valid JSON: $1').replace(/^nests/, 'it nests') + ' for a record';
    if (reason === undefined) {
      const c = checkRecord(v);
      if (!c.ok) reason = `not a valid record: ${c.error}`;
      else if (c.value.id !== id) reason = `not a valid record: its id '${c.value.id}' does not match the file name`;
      else return c.value;
    }
    const waiting = this.pending.get(id)?.length ?? 0;
    const mend = `; mend it and put it back as .avu/records/${id}.json` +
      (waiting > 0 ? `: the ${waiting} action(s) on it waiting in the journal then apply` : '');
    this.quarantine.moveFile(file, reason + mend);
    return undefined;
  }

  private addPending(id: string, e: JournalEntry): boolean {
    if (this.pendingIds.has(e.id)) return false;
    this.pendingIds.add(e.id);
    const list = this.pending.get(id);
    if (list) list.push(e);
    else this.pending.set(id, [e]);
    return true;
  }

  /** Drops pending actions that a record file now contains. */
  private settlePending(id: string, rec: AvuSample | undefined): void {
    const list = this.pending.get(id);
    if (!list || !rec) return;
    const done = new Set(rec.history.map((h) => h.op).filter((x): x is string => !!x));
    const left = list.filter((e) => !done.has(e.id));
    if (left.length) this.pending.set(id, left);
    else this.pending.delete(id);
  }

  /** Picks up what other processes wrote: journals first, then record files (see the top comment). */
  async refresh(signal?: AbortSignal): Promise<number> {
    let parsed = 0;
    const touched = new Set<string>();
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.journalDir).filter((n) => n.endsWith('.jsonl')).sort();
    } catch {
      names = [];
    }

    const present = new Set(names);
    for (const known of [...this.journalOffsets.keys()]) if (!present.has(known)) this.journalOffsets.delete(known);
    for (const name of names) {
      const file = path.join(this.journalDir, name);
      let read: ReturnType<typeof readJournal>;
      try {
        read = readJournal(file, this.journalOffsets.get(name) ?? 0);
      } catch (err) {
        // One unreadable journal is reported, not fatal for the whole command.
        this.quarantine.report('bad-journal-line', file, `the journal cannot be read: ${(err as Error).message}`);
        continue;
      }
      this.journalOffsets.set(name, read.endOffset);
      for (const b of read.bad) this.quarantine.keepText('bad-journal-line', file, b.offset, b.text, b.reason);
      for (const e of read.entries) {
        const id = opRecordId(e.op);
        if (this.addPending(id, e)) touched.add(id);
      }
    }
    throwIfAborted(signal);
    let files: string[];
    try {
      files = fs.readdirSync(this.recordsDir).filter((n) => n.endsWith('.json'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(err, this.recordsDir, 'read the records folder');
      files = [];
    }
    const onDisk = new Set<string>();
    let n = 0;
    for (const name of files) {
      if (++n % 1024 === 0) throwIfAborted(signal);
      const id = name.slice(0, -5);
      const file = this.recordsDir + path.sep + name;
      if (!isValidRecordId(id)) continue;
      let st: fs.Stats;
      try {
        st = fs.statSync(file);
      } catch {
        continue;
      }
      onDisk.add(id);
      const stamp = stampOf(st);
      if (sameStamp(this.stamps.get(id), stamp) && this.sums.has(id) && !touched.has(id)) continue;
      this.cache.delete(id);
      parsed++;
      const base = this.loadUncached(id, true);
      if (!base) {
        this.stamps.delete(id);
        this.sums.delete(id);
        continue;
      }
      this.stamps.set(id, stamp);
      this.settlePending(id, base);
      let rec: AvuSample | undefined = base;
      for (const e of (this.pending.get(id) ?? []).slice().sort(byTime)) rec = applyEntry(rec, e);
      if (rec) this.sums.set(id, summarize(rec));
      touched.delete(id);
    }
    for (const id of [...this.sums.keys()]) {
      if (!onDisk.has(id) && !this.pending.has(id)) {
        this.sums.delete(id);
        this.stamps.delete(id);
        this.cache.delete(id);
      }
    }
    // Records that exist only in journals so far, or whose file did not change but got new actions.
    for (const id of touched) {
      this.cache.delete(id);
      const rec = this.loadUncached(id);
      if (rec) this.sums.set(id, summarize(rec));
    }
    return parsed;
  }

  /**
   * Refreshes after files under .avu/journal or .avu/records change (another window, the CLI) and then
   * calls `onChange`, debounced; our own writes trigger it too. Dispose the result to stop watching.
   */
  watch(onChange: (error?: unknown) => void, debounceMs = 200): { dispose(): void } {
    let timer: NodeJS.Timeout | undefined;
    const fire = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        this.refresh().then(() => onChange(), (err: unknown) => onChange(err));
      }, debounceMs);
    };
    const watchers = [fs.watch(this.journalDir, fire), fs.watch(this.recordsDir, fire)];
    return {
      dispose: () => {
        if (timer) clearTimeout(timer);
        for (const w of watchers) w.close();
      },
    };
  }

  // ---- compaction -----------------------------------------------------------------------------

  /** Folds journals into record files. Returns false when another process holds the lock. */
  async compact(opts: { signal?: AbortSignal; waitMs?: number } = {}): Promise<boolean> {
    if (this.readOnly) return false;
    let got: boolean;
    try {
      got = await this.lock.acquire(opts.waitMs ?? 2000, opts.signal, this.onLockWait);
    } catch (err) {
      throw ioError(err, this.lock.file, 'take the compaction lock');
    }
    if (!got) return false;
    try {
      // Seal our segment: actions from now on go to a new one.
      this.writer?.close();
      this.writer = undefined;
      this.segment++;
      this.ownCount = 0;
      // Which journals may go is decided BEFORE they are read: a writer that is gone now cannot append
      // any more, so the refresh below reads all of its file. (Deciding after reading would delete
      // lines a writer appended in between, just before it died.)
      const deletable = this.deletableJournals();
      await this.refresh(opts.signal);
      const orphans: JournalEntry[] = [];
      let n = 0;
      for (const id of [...this.pending.keys()]) {
        if (++n % 256 === 0) throwIfAborted(opts.signal);
        this.cache.delete(id);
        const rec = this.loadUncached(id);
        if (!rec) {
          orphans.push(...(this.pending.get(id) ?? []));
          continue;
        }
        const file = this.recordFile(id);
        writeFileAtomic(file, canonicalRecordJson(rec), this.tmpDir, this.writerId); // names the file on ENOSPC/EACCES
        this.stamps.set(id, stampOf(fs.statSync(file)));
        this.sums.set(id, summarize(rec));
        this.pending.delete(id);
      }
      fsyncDir(this.recordsDir);
      if (!this.lock.stillHeld()) return false;
      const orphanIds = new Set(orphans.map((e) => e.id));
      for (const name of deletable) {
        const file = path.join(this.journalDir, name);
        const read = readJournal(file);
        // Belt and braces: a file with an action this compaction has not seen stays for the next one.
        if (read.entries.some((e) => !this.pendingIds.has(e.id))) continue;
        let kept = true;
        for (const b of read.bad) kept = this.quarantine.keepText('bad-journal-line', file, b.offset, b.text, b.reason) && kept;
        if (read.tail.trim() !== '')
          kept = this.quarantine.keepText('torn-journal-tail', file, read.endOffset, read.tail, 'an action cut short by a crash, never applied') && kept;
        // Actions on a record that is missing or quarantined (a hand edit broke it) stay in their journal,
        // every one of them, until the record is mended or re-created; each is reported.
        let orphaned = 0;
        read.entries.forEach((e, i) => {
          if (!orphanIds.has(e.id)) return;
          orphaned++;
          const rid = opRecordId(e.op);
          this.quarantine.keepText('orphan-action', file, read.offsets[i] ?? 0, JSON.stringify(e),
            `an action on record ${rid}, which is missing or quarantined; it stays in the journal and applies once .avu/records/${rid}.json is valid again`);
        });
        if (orphaned > 0 || !kept) continue;
        fs.rmSync(file, { force: true });
        this.quarantine.forgetNotes(name, 'orphan-action'); // every action of this journal is in a record now
        this.journalOffsets.delete(name);
      }
      fsyncDir(this.journalDir);
      for (const t of fs.readdirSync(this.tmpDir)) fs.rmSync(path.join(this.tmpDir, t), { force: true });
      try {
        this.writeIndex();
      } catch {
        // A cache: the records are written; a full disk only makes the next open slower.
      }
      return true;
    } finally {
      this.lock.release();
    }
  }

  /** Our sealed segments and every segment of a process that no longer runs (same host). */
  private deletableJournals(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.journalDir).filter((n) => n.endsWith('.jsonl'));
    } catch {
      names = [];
    }
    return deletableJournals(names, this.writerId, this.segment);
  }

  private readIndex(): void {
    readIndexFile(path.join(this.avuDir, 'index.tsv'), this.stamps, this.sums);
  }

  private writeIndex(): void {
    writeIndexFile(path.join(this.avuDir, 'index.tsv'), this.stamps, this.sums, (id) => this.pending.has(id), this.tmpDir, this.writerId);
  }

  /** Compacts what this instance wrote (best effort) and closes its journal. */
  async close(): Promise<void> {
    if (this.ownCount > 0 || this.writer) await this.compact({ waitMs: 5000 });
    this.writer?.close();
    this.writer = undefined;
  }
}
