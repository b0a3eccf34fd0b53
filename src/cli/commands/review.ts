// `avu review <dataset> …`: the review panel's actions without the panel, for scripts, batch pipelines
// and tests. Every action goes through the store (src/dataset/store.ts), so it is durable when the
// command returns and shows up in an open panel (the store's watch) and in its undo stack.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command, RunContext } from '../command';
import { lockWaitNote, parseCommandArgs } from '../command';
import { DatasetError, UsageError } from '../../core/errors';
import { AvuStore } from '../../dataset/store';
import { STORE_DIR, clipPathInDataset } from '../../dataset/dataset-root';
import { REVIEW_ACTIONS, qaState, undoRedoTargets, type ReviewAction, type StoreOp } from '../../dataset/ops';
import { SUBSETS, type AvuSample, type HistoryEntry, type QaItem, type Subset } from '../../dataset/record';

const HELP = `Usage: avu review <dataset> --clip <clip> --qa <id> accept|reject|edit|reset [--reason TEXT] [--answer TEXT]
       avu review <dataset> [--clip <clip>] --undo|--redo
       avu review <dataset> --accept-all [--subset S] [--clip <clip>]
       avu review <dataset> --list [--status pending|accepted|rejected|edited|conflict] [--subset S] [--clip <clip>] [--json]

The review panel's actions, headless. Each is written to the dataset's store (<dataset>/.avu/) and is
durable when the command returns; an open review panel picks it up, and its undo stack includes it.
  accept | reject | reset     one Q&A item (reset makes it pending again)
  reject --reason TEXT        reject, and say why (kept with the item)
  edit --answer TEXT          replace the model's answer (the item becomes accepted)
  --undo, --redo              with --clip: that clip's last review action (or the last undone one);
                              without: the most recent one in the whole dataset
  --accept-all                accept every pending item (of --subset S, of --clip) in one write
  --list                      one line per Q&A item: clip, item id, subset, modality, status, question,
                              answer, edited answer, reject reason (tab-separated; --json: JSON lines).
                              --status accepted includes edited items; a last column names a conflict
                              (two reviewers acted on the item, the later one on a stale view: both kept,
                              --status conflict lists them, the next review of the item resolves it)
  --clip C                    the clip's path relative to the dataset, or a path to the clip file
  --qa ID                     the Q&A item's id (as --list shows it)
  --subset S                  ${SUBSETS.join(' | ')}
  --json                      machine output (JSON lines for --list, one JSON object otherwise)
`;

const LIST_STATUSES = ['pending', 'accepted', 'rejected', 'edited', 'conflict'] as const;
type ListStatus = (typeof LIST_STATUSES)[number];

/** How --list shows an item's state: accepted items with an edited answer are `edited`. */
export function displayStatus(item: QaItem): Exclude<ListStatus, 'conflict'> {
  return item.status === 'accepted' && item.edit ? 'edited' : item.status;
}

/** "conflict: also edited 'text' (2026-...)" for an item two reviewers acted on; '' otherwise. */
function conflictText(item: QaItem): string {
  const c = item.conflict;
  if (!c) return '';
  const o = c.other;
  const what = o.status === 'accepted' && o.edit ? `edited to '${o.edit.a}'` : o.status === 'rejected' && o.reason ? `rejected (${o.reason})` : o.status;
  return `conflict: another reviewer's decision was ${what}, this one was made without seeing it (${c.at})`;
}

function oneLine(s: string): string {
  return s.replace(/[\t\r\n]+/g, ' ');
}

/**
 * The record id of `clip` as a user names it: a path relative to the dataset root, or a path to the clip
 * file (relative to the working directory first, then to the root). A DatasetError names an unknown clip.
 */
export function resolveClip(store: AvuStore, clip: string, shownRoot: string = store.root, cwd = process.cwd()): { id: string; clip: string } {
  const root = store.root;
  const candidates: string[] = [];
  const fromCwd = clipPathInDataset(root, path.resolve(cwd, clip));
  if (fromCwd !== undefined) candidates.push(fromCwd);
  const fromRoot = clipPathInDataset(root, path.resolve(root, clip));
  if (fromRoot !== undefined) candidates.push(fromRoot);
  for (const rel of candidates) {
    const id = store.idForClip(rel);
    if (id !== undefined) return { id, clip: rel };
  }
  throw new DatasetError('no-clip', `There is no record of the clip ${clip} in ${shownRoot}; avu review ${shownRoot} --list shows what exists.`);
}

/** Orders history entries by time, then (same writer) by sequence number: the later one is greater. */
function compareEntries(a: { at: string; op?: string }, b: { at: string; op?: string }): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  const [wa, sa] = splitOp(a.op);
  const [wb, sb] = splitOp(b.op);
  if (wa === wb) return sa - sb;
  return wa < wb ? -1 : wa > wb ? 1 : 0;
}

function later(a: HistoryEntry, b: HistoryEntry): HistoryEntry {
  return compareEntries(a, b) >= 0 ? a : b;
}

function splitOp(op: string | undefined): [string, number] {
  const i = op?.lastIndexOf(':') ?? -1;
  if (op === undefined || i < 0) return [op ?? '', 0];
  return [op.slice(0, i), Number(op.slice(i + 1)) || 0];
}

/**
 * The record whose undo (or redo) is the most recent across the dataset, from the records' histories:
 * for undo, the review action applied last (its own time, or the time it was last redone); for redo, the
 * action undone last. Undefined when no record has one.
 */
export function latestUndoRedo(records: Iterable<AvuSample>, kind: 'undo' | 'redo'): string | undefined {
  let best: { id: string; when: { at: string; op?: string } } | undefined;
  for (const r of records) {
    const target = undoRedoTargets(r.history)[kind];
    if (!target?.op) continue;
    // When the target last changed state in the direction that this undo/redo reverses.
    const marks = r.history.filter((h) => h.target === target.op && h.action === (kind === 'undo' ? 'redo' : 'undo'));
    const when = (kind === 'undo' ? [target, ...marks] : marks).reduce(later, kind === 'undo' ? target : marks[0] ?? target);
    if (!best || compareEntries(when, best.when) > 0) best = { id: r.id, when };
  }
  return best?.id;
}

/** The accept op for every pending item of `record` that passes `want` (what store.review builds for one). */
export function acceptOps(record: AvuSample, want: (item: QaItem) => boolean): StoreOp[] {
  const ops: StoreOp[] = [];
  for (const item of record.qa) {
    if (item.status !== 'pending' || !want(item)) continue;
    const after: QaItem = { ...item, status: 'accepted' };
    delete after.reason;
    delete after.conflict;
    if (item.edit) after.edit = { ...item.edit };
    ops.push({ kind: 'review', recordId: record.id, qaId: item.id, action: 'accept', before: qaState(item), after });
  }
  return ops;
}

function subsetArg(v: string | undefined): Subset | undefined {
  if (v === undefined) return undefined;
  const s = SUBSETS.find((x) => x === v);
  if (!s) throw new UsageError('bad-arguments', `--subset ${v} is not one of ${SUBSETS.join(', ')}.`);
  return s;
}

function statusArg(v: string | undefined): ListStatus | undefined {
  if (v === undefined) return undefined;
  const s = LIST_STATUSES.find((x) => x === v);
  if (!s) throw new UsageError('bad-arguments', `--status ${v} is not one of ${LIST_STATUSES.join(', ')}.`);
  return s;
}

function describeItem(item: QaItem): string {
  const s = displayStatus(item);
  if (s === 'rejected' && item.reason) return `rejected (${item.reason})`;
  if (s === 'edited') return `edited: ${item.edit!.a}`;
  return s;
}

export const command: Command = {
  signals: 'default', // crash-safe writes; a signal ends it at once, even in synchronous work
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('review', argv, {
      clip: { type: 'string' },
      qa: { type: 'string' },
      reason: { type: 'string' },
      answer: { type: 'string' },
      undo: { type: 'boolean' },
      redo: { type: 'boolean' },
      'accept-all': { type: 'boolean' },
      list: { type: 'boolean' },
      status: { type: 'string' },
      subset: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(HELP);
      return 0;
    }
    const [root, actionWord, ...extra] = positionals;
    if (root === undefined || extra.length > 0)
      throw new UsageError('bad-arguments', "avu review takes one dataset folder and at most one action; run 'avu review --help'.");
    const modes = [
      actionWord !== undefined ? actionWord : undefined,
      values.undo ? '--undo' : undefined,
      values.redo ? '--redo' : undefined,
      values['accept-all'] ? '--accept-all' : undefined,
      values.list ? '--list' : undefined,
    ].filter((m): m is string => m !== undefined);
    if (modes.length !== 1)
      throw new UsageError(
        'bad-arguments',
        modes.length === 0
          ? "avu review needs one action: accept, reject, edit, reset, --undo, --redo, --accept-all or --list; run 'avu review --help'."
          : `avu review takes one action at a time, not ${modes.join(' and ')}.`,
      );
    const mode = modes[0]!;
    const action = REVIEW_ACTIONS.find((a) => a === actionWord);
    if (actionWord !== undefined && !action)
      throw new UsageError('bad-arguments', `'${actionWord}' is not a review action; use accept, reject, edit or reset (or --undo, --redo, --accept-all, --list).`);
    const subset = subsetArg(values.subset);
    const status = statusArg(values.status);
    if (values.status !== undefined && mode !== '--list') throw new UsageError('bad-arguments', '--status goes with --list.');
    if (values.subset !== undefined && mode !== '--list' && mode !== '--accept-all')
      throw new UsageError('bad-arguments', '--subset goes with --list or --accept-all.');
    if (values.qa !== undefined && !action) throw new UsageError('bad-arguments', `--qa names the item of accept, reject, edit or reset, not of ${mode}.`);
    if (values.reason !== undefined && action !== 'reject') throw new UsageError('bad-arguments', '--reason goes with reject.');
    if (values.answer !== undefined && action !== 'edit') throw new UsageError('bad-arguments', '--answer goes with edit.');
    if (action && values.clip === undefined) throw new UsageError('bad-arguments', `${action} needs --clip <clip> and --qa <id>; avu review ${root} --list shows them.`);
    if (action && values.qa === undefined) throw new UsageError('bad-arguments', `${action} needs --qa <id>; avu review ${root} --list --clip ${values.clip} shows the items.`);
    if (action === 'edit' && (values.answer === undefined || values.answer.trim() === ''))
      throw new UsageError('bad-arguments', 'edit needs --answer TEXT, the new answer.');

    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory())
      throw new DatasetError('no-dataset', `The dataset folder ${root} does not exist; pass the folder you captioned.`);
    if (!fs.existsSync(path.join(root, STORE_DIR)))
      throw new DatasetError('no-store', `${root} has no AVU store (${STORE_DIR}/); caption it first with avu caption ${root}.`);
    const store = await AvuStore.open(path.resolve(root), { signal: ctx.signal, onLockWait: lockWaitNote('review', ctx) });
    try {
      const clip = values.clip === undefined ? undefined : resolveClip(store, values.clip, root);
      if (action) return reviewOne(store, root, clip!, values.qa!, action, action === 'reject' ? values.reason : values.answer, values.json ?? false, ctx);
      if (mode === '--undo' || mode === '--redo') return undoRedo(store, root, clip, mode === '--undo' ? 'undo' : 'redo', values.json ?? false, ctx);
      if (mode === '--accept-all') return acceptAll(store, clip, subset, values.json ?? false, ctx);
      return list(store, clip, subset, status, values.json ?? false, ctx);
    } finally {
      await store.close();
    }
  },
};

function reviewOne(store: AvuStore, root: string, clip: { id: string; clip: string }, qaId: string, action: ReviewAction, text: string | undefined, json: boolean, ctx: RunContext): number {
  const before = store.get(clip.id)!;
  if (!before.qa.some((q) => q.id === qaId))
    throw new DatasetError('no-qa', `The clip ${clip.clip} has no Q&A item ${qaId}; avu review ${root} --list --clip ${clip.clip} shows its items.`);
  const after = store.review(clip.id, qaId, action, text);
  const item = after.qa.find((q) => q.id === qaId)!;
  if (json) ctx.stdout(JSON.stringify({ clip: clip.clip, id: clip.id, action, item }) + '\n');
  else ctx.stdout(`avu review: ${clip.clip} ${qaId}: ${describeItem(item)}\n`);
  return 0;
}

function undoRedo(store: AvuStore, root: string, clip: { id: string; clip: string } | undefined, kind: 'undo' | 'redo', json: boolean, ctx: RunContext): number {
  const id = clip?.id ?? latestUndoRedo(store.records(ctx.signal), kind);
  const rec = id === undefined ? undefined : store.get(id);
  const target = rec ? undoRedoTargets(rec.history)[kind] : undefined;
  const after = id !== undefined && target ? (kind === 'undo' ? store.undo(id) : store.redo(id)) : undefined;
  if (!after || !target) {
    const where = clip ? `the clip ${clip.clip}` : root;
    throw new DatasetError(`nothing-to-${kind}`, `There is nothing to ${kind} in ${where}.`);
  }
  const item = after.qa.find((q) => q.id === target.qaId);
  if (json) ctx.stdout(JSON.stringify({ clip: after.clip, id: after.id, [kind]: target.action, item }) + '\n');
  else ctx.stdout(`avu review: ${kind === 'undo' ? 'undid' : 'redid'} ${target.action} of ${after.clip} ${target.qaId ?? ''}; now ${item ? describeItem(item) : 'gone'}\n`);
  return 0;
}

function acceptAll(store: AvuStore, clip: { id: string; clip: string } | undefined, subset: Subset | undefined, json: boolean, ctx: RunContext): number {
  const ops: StoreOp[] = [];
  let clips = 0;
  const want = (q: QaItem): boolean => subset === undefined || q.subset === subset;
  const records = clip ? [store.get(clip.id)!] : store.records(ctx.signal);
  for (const r of records) {
    const mine = acceptOps(r, want);
    if (mine.length) clips++;
    ops.push(...mine);
  }
  if (ops.length) store.commitMany(ops); // one journal append, one fdatasync
  if (json) ctx.stdout(JSON.stringify({ accepted: ops.length, clips }) + '\n');
  else ctx.stdout(`avu review: accepted ${ops.length} pending item${ops.length === 1 ? '' : 's'}${subset ? ` of ${subset}` : ''} in ${clips} clip${clips === 1 ? '' : 's'}.\n`);
  return 0;
}

function list(store: AvuStore, clip: { id: string; clip: string } | undefined, subset: Subset | undefined, status: ListStatus | undefined, json: boolean, ctx: RunContext): number {
  const records = clip ? [store.get(clip.id)!] : store.records(ctx.signal);
  let n = 0;
  let conflicts = 0;
  for (const r of records) {
    for (const item of r.qa) {
      const shown = displayStatus(item);
      if (subset !== undefined && item.subset !== subset) continue;
      if (status === 'conflict' ? !item.conflict : status !== undefined && shown !== status && !(status === 'accepted' && shown === 'edited')) continue;
      n++;
      if (item.conflict) conflicts++;
      if (json)
        ctx.stdout(
          JSON.stringify({
            clip: r.clip, id: r.id, qaId: item.id, subset: item.subset, modality: item.modality, status: shown,
            q: item.q, a: item.a, edit: item.edit?.a ?? null, reason: item.reason ?? null, origin: item.origin,
            conflict: item.conflict ?? null,
          }) + '\n',
        );
      else
        ctx.stdout(
          [r.clip, item.id, item.subset, item.modality, shown, item.q, item.a, item.edit?.a ?? '', item.reason ?? '', conflictText(item)].map(oneLine).join('\t') + '\n',
        );
    }
  }
  ctx.stderr(`avu review: ${n} item${n === 1 ? '' : 's'}${conflicts ? `, ${conflicts} in conflict (another reviewer's decision kept beside the later one; review the item again to resolve it)` : ''}\n`);
  return 0;
}
