// Store actions as data. Every change to a record is one of these ops, written to a journal first and
// applied to the record after. Applying is idempotent (an op whose id is already in the record's
// history is skipped), so replaying a journal after a crash, twice, or from two processes is safe.
import type { AvuSample, HistoryEntry, QaItem, QaStatus } from './record';
import { checkRecord, hasControlChars, isValidRecordId, patchProblem, qaItemProblem, qaStateProblem } from './validate';

/** The part of a Q&A item that review actions change. */
export interface QaState {
  status: QaStatus;
  edit: { a: string; at: string } | null;
  /** The reject reason, when the item is rejected with one. */
  reason?: string;
}

export type ReviewAction = 'accept' | 'reject' | 'edit' | 'reset';
export const REVIEW_ACTIONS: readonly ReviewAction[] = ['accept', 'reject', 'edit', 'reset'];

export type RecordPatch = Partial<Pick<AvuSample, 'subset' | 'consistency' | 'scores' | 'meta' | 'captions' | 'source' | 'media'>>;

export type StoreOp =
  /** A new record, or a re-caption of an existing one (reviewed Q&A items survive it). */
  | { kind: 'put'; record: AvuSample }
  /** Accept / reject / edit / reset one Q&A item. `after` is the whole item after the action. */
  | { kind: 'review'; recordId: string; qaId: string; action: ReviewAction; before: QaState; after: QaItem }
  /** A Q&A item added by a person or a task converter. */
  | { kind: 'addQa'; recordId: string; item: QaItem }
  /** Derived fields (rules, filtering, imports). */
  | { kind: 'patch'; recordId: string; patch: RecordPatch; action: string }
  /** Undo or redo of the review op `target`, restoring `state` on item `qaId`. */
  | { kind: 'undo' | 'redo'; recordId: string; target: string; qaId: string; state: QaState };

export interface JournalEntry {
  /** `<writer>:<seq>`, unique across processes. */
  id: string;
  at: string;
  op: StoreOp;
}

export function opRecordId(op: StoreOp): string {
  return op.kind === 'put' ? op.record.id : op.recordId;
}

export function qaState(item: QaItem | undefined): QaState {
  if (!item) return { status: 'pending', edit: null };
  const s: QaState = { status: item.status, edit: item.edit ? { a: item.edit.a, at: item.edit.at } : null };
  if (item.reason !== undefined) s.reason = item.reason;
  return s;
}

function setState(item: QaItem, state: QaState): void {
  item.status = state.status;
  if (state.edit) item.edit = { a: state.edit.a, at: state.edit.at };
  else delete item.edit;
  if (state.reason !== undefined) item.reason = state.reason;
  else delete item.reason;
}

export function sameQaState(a: QaState, b: QaState): boolean {
  return a.status === b.status && (a.edit?.a ?? null) === (b.edit?.a ?? null) && (a.reason ?? null) === (b.reason ?? null);
}

/**
 * Before an action based on `base` changes `item`: when the item is no longer in that state (another
 * reviewer acted meanwhile), their state is kept in `item.conflict`; otherwise the action resolves any
 * conflict the item had (the reviewer saw it). Returns the state the item really had.
 */
function resolveOrConflict(item: QaItem, base: QaState, at: string): QaState {
  const current = qaState(item);
  if (sameQaState(current, base)) delete item.conflict;
  else item.conflict = { at, other: current };
  return current;
}

function isReviewed(item: QaItem): boolean {
  return item.status !== 'pending' || item.edit !== undefined;
}

function cloneItem(item: QaItem): QaItem {
  return { ...item, ...(item.edit ? { edit: { ...item.edit } } : {}) };
}

/**
 * Applies `entry` to `record` (mutating it) and returns the record, or a new one for a `put` of an
 * unknown id. Returns `undefined` when the op needs a record that does not exist (an orphan op).
 */
export function applyEntry(record: AvuSample | undefined, entry: JournalEntry): AvuSample | undefined {
  const { op } = entry;
  if (record && record.history.some((h) => h.op === entry.id)) return record;
  const hist: HistoryEntry = { at: entry.at, action: op.kind, op: entry.id };
  if (op.kind === 'put') {
    // Which model (re-)captioned the clip: the history says so.
    hist.after = { model: { name: String(op.record.model?.name), version: String(op.record.model?.version) } };
    if (record) hist.action = 'recaption';
    const next: AvuSample = structuredClone(op.record);
    if (record) {
      // A re-caption replaces pending items only: anything a person accepted, rejected or edited stays.
      const kept = record.qa.filter(isReviewed);
      const keptIds = new Set(kept.map((q) => q.id));
      next.qa = [...next.qa.filter((q) => !keptIds.has(q.id)), ...kept];
      next.history = record.history;
      if (next.source === undefined && record.source !== undefined) next.source = record.source;
    } else if (!Array.isArray(next.history)) {
      next.history = [];
    }
    next.history.push(hist);
    return next;
  }
  if (!record) return undefined;
  switch (op.kind) {
    case 'review': {
      const item = record.qa.find((q) => q.id === op.qaId);
      let before = op.before;
      if (item) {
        // Made on a stale view (the item changed since the state it was based on): both are kept.
        before = resolveOrConflict(item, op.before, entry.at);
        setState(item, qaState(op.after));
      } else record.qa.push(cloneItem(op.after)); // the item went away (re-caption); the review keeps it
      Object.assign(hist, { action: op.action, qaId: op.qaId, before, after: qaState(op.after) });
      break;
    }
    case 'addQa': {
      const i = record.qa.findIndex((q) => q.id === op.item.id);
      const existing = i >= 0 ? record.qa[i] : undefined;
      if (existing && isReviewed(existing)) return record; // never overwrite a person's decision
      if (i >= 0) record.qa[i] = cloneItem(op.item);
      else record.qa.push(cloneItem(op.item));
      Object.assign(hist, { action: 'add', qaId: op.item.id });
      break;
    }
    case 'patch': {
      const p = structuredClone(op.patch);
      for (const k of Object.keys(p) as (keyof RecordPatch)[]) {
        if (p[k] !== undefined) (record as unknown as Record<string, unknown>)[k] = p[k];
      }
      hist.action = op.action;
      break;
    }
    case 'undo':
    case 'redo': {
      const item = record.qa.find((q) => q.id === op.qaId);
      if (!item) return record;
      // An undo expects the state its target made, a redo the state before it; anything else is another
      // person's action since, kept as a conflict.
      const target = record.history.find((h) => h.op === op.target);
      const expected = asQaState(op.kind === 'undo' ? target?.after : target?.before);
      const before = expected ? resolveOrConflict(item, expected, entry.at) : qaState(item);
      setState(item, op.state);
      Object.assign(hist, { target: op.target, qaId: op.qaId, before, after: op.state });
      break;
    }
  }
  record.history.push(hist);
  return record;
}

/** The review entries of a record that undo and redo would act on next (derived from its history). */
export function undoRedoTargets(history: readonly HistoryEntry[]): { undo?: HistoryEntry; redo?: HistoryEntry } {
  const done: HistoryEntry[] = [];
  let undone: HistoryEntry[] = [];
  const take = (list: HistoryEntry[], id: string | undefined): HistoryEntry | undefined => {
    const i = list.findIndex((h) => h.op === id);
    return i >= 0 ? list.splice(i, 1)[0] : undefined;
  };
  for (const h of history) {
    if ((REVIEW_ACTIONS as readonly string[]).includes(h.action)) {
      done.push(h);
      undone = [];
    } else if (h.action === 'undo') {
      const t = take(done, h.target);
      if (t) undone.push(t);
    } else if (h.action === 'redo') {
      const t = take(undone, h.target);
      if (t) done.push(t);
    }
  }
  return { undo: done[done.length - 1], redo: undone[undone.length - 1] };
}

/** The state a history entry recorded, when it is a QaState. */
export function asQaState(v: unknown): QaState | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (o.status !== 'pending' && o.status !== 'accepted' && o.status !== 'rejected') return undefined;
  const e = o.edit;
  if (o.reason !== undefined && typeof o.reason !== 'string') return undefined;
  const withReason = (s: QaState): QaState => (typeof o.reason === 'string' ? { ...s, reason: o.reason } : s);
  if (e === null || e === undefined) return withReason({ status: o.status, edit: null });
  if (typeof e === 'object' && typeof (e as { a?: unknown }).a === 'string' && typeof (e as { at?: unknown }).at === 'string')
    return withReason({ status: o.status, edit: { a: (e as { a: string }).a, at: (e as { at: string }).at } });
  return undefined;
}

/**
 * Why a value read back from a journal (or about to be written to one) is not a store action, or null.
 * A checksum only detects tearing, and journals travel with shared datasets, so a replayed action gets
 * the same checks as a live one: ids that are file names inside .avu/records, a whole valid record for
 * a put (clip inside the dataset), complete review states, patches of the derived fields only.
 */
export function journalEntryProblem(v: unknown): string | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'it is not an object';
  const e = v as Record<string, unknown>;
  if (typeof e.id !== 'string' || e.id === '' || e.id.length > 300 || hasControlChars(e.id)) return 'its id is missing or not a plain string';
  if (typeof e.at !== 'string' || Number.isNaN(Date.parse(e.at))) return 'its time (at) is missing or not a date';
  if (e.op === null || typeof e.op !== 'object' || Array.isArray(e.op)) return 'its op is missing';
  const op = e.op as Record<string, unknown>;
  if (op.kind !== 'put') {
    if (typeof op.recordId !== 'string' || !isValidRecordId(op.recordId)) return 'its record id is missing or not a valid record id';
  }
  const qaIdOk = (x: unknown): boolean => typeof x === 'string' && x !== '' && x.length <= 200 && !hasControlChars(x);
  switch (op.kind) {
    case 'put': {
      const c = checkRecord(op.record);
      return c.ok ? null : `its record is not valid: ${c.error}`;
    }
    case 'review': {
      if (!qaIdOk(op.qaId)) return 'its Q&A id is missing';
      if (!(REVIEW_ACTIONS as readonly unknown[]).includes(op.action)) return `its action is not one of ${REVIEW_ACTIONS.join(', ')}`;
      const b = qaStateProblem(op.before, 'before');
      if (b) return `its ${b}`;
      const a = qaItemProblem(op.after, 'after');
      if (a) return `its ${a}`;
      if ((op.after as QaItem).id !== op.qaId) return 'its after.id is not its Q&A id';
      return null;
    }
    case 'addQa': {
      const a = qaItemProblem(op.item, 'item');
      return a ? `its ${a}` : null;
    }
    case 'patch': {
      if (typeof op.action !== 'string' || op.action === '' || op.action.length > 100 || hasControlChars(op.action)) return 'its action name is missing';
      return patchProblem(op.patch);
    }
    case 'undo':
    case 'redo': {
      if (!qaIdOk(op.qaId)) return 'its Q&A id is missing';
      if (typeof op.target !== 'string' || op.target === '') return 'its target is missing';
      const st = qaStateProblem(op.state, 'state');
      return st ? `its ${st}` : null;
    }
    default:
      return `its kind '${String(op.kind).slice(0, 20)}' is not put, review, addQa, patch, undo or redo`;
  }
}

/** Structural check of a journal entry read back from disk (its checksum already matched). */
export function isJournalEntry(v: unknown): v is JournalEntry {
  return journalEntryProblem(v) === null;
}
