// Checks that a parsed JSON value is a sample record (record.ts). Hand-edited files come through here,
// so the answer names the first field that is wrong instead of a generic "invalid".
import { META_FIELDS, MODALITIES, SUBSETS, type AvuSample } from './record';

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Record ids become file names: letters, digits, '.', '_' and '-', not starting with a dot. */
export function isValidRecordId(id: string): boolean {
  return ID_RE.test(id) && !id.endsWith('.tmp');
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumOrNull = (v: unknown): boolean => v === null || isNum(v);
const isStrArray = (v: unknown): boolean => Array.isArray(v) && v.every(isStr);

function checkKeywords(v: unknown, where: string): string | null {
  if (!isObj(v)) return `${where} is not an object`;
  for (const f of META_FIELDS) if (!isStrArray(v[f])) return `${where}.${f} is not a list of strings`;
  return null;
}

function checkQa(v: unknown, i: number): string | null {
  const w = `qa[${i}]`;
  if (!isObj(v)) return `${w} is not an object`;
  if (!isStr(v.id) || v.id === '') return `${w}.id is missing`;
  if (!SUBSETS.includes(v.subset as never)) return `${w}.subset is not one of ${SUBSETS.join(', ')}`;
  if (!MODALITIES.includes(v.modality as never)) return `${w}.modality is not one of ${MODALITIES.join(', ')}`;
  if (!isStr(v.q) || !isStr(v.a)) return `${w}.q and .a must be strings`;
  if (v.origin !== 'model' && v.origin !== 'human' && v.origin !== 'task') return `${w}.origin is not model, human or task`;
  if (v.status !== 'pending' && v.status !== 'accepted' && v.status !== 'rejected') return `${w}.status is not pending, accepted or rejected`;
  if (v.edit !== undefined && (!isObj(v.edit) || !isStr(v.edit.a) || !isStr(v.edit.at))) return `${w}.edit must be {a, at}`;
  if (v.reason !== undefined && !isStr(v.reason)) return `${w}.reason must be a string`;
  return null;
}

/** The first problem of a would-be record, or the record itself. */
export function checkRecord(v: unknown): Checked<AvuSample> {
  const err = recordProblem(v);
  return err === null ? { ok: true, value: v as AvuSample } : { ok: false, error: err };
}

function recordProblem(v: unknown): string | null {
  if (!isObj(v)) return 'the file is not a JSON object';
  if (!isStr(v.id) || !isValidRecordId(v.id)) return 'id is missing or has characters other than letters, digits, ".", "_" and "-"';
  if (!isStr(v.clip) || v.clip === '') return 'clip is missing';
  const m = v.media;
  if (!isObj(m) || !isNum(m.durationS) || !isNum(m.width) || !isNum(m.height) || !isNum(m.fps) || typeof m.hasAudio !== 'boolean')
    return 'media must be {durationS, width, height, fps, hasAudio}';
  if (!isObj(v.model) || !isStr(v.model.name) || !isStr(v.model.version)) return 'model must be {name, version}';
  const c = v.captions;
  if (!isObj(c) || !isStr(c.audio) || !isStr(c.visual) || !isStr(c.av)) return 'captions must be {audio, visual, av}';
  if (!isObj(v.meta)) return 'meta is not an object';
  const ka = checkKeywords(v.meta.audio, 'meta.audio') ?? checkKeywords(v.meta.visual, 'meta.visual');
  if (ka) return ka;
  if (!isNum(v.consistency) || v.consistency < 0 || v.consistency > 1) return 'consistency must be a number in [0, 1]';
  if (!SUBSETS.includes(v.subset as never)) return `subset is not one of ${SUBSETS.join(', ')}`;
  const s = v.scores;
  if (!isObj(s) || !isNumOrNull(s.similarity) || !isNumOrNull(s.selfConsistency) || !isNumOrNull(s.annotation) ||
      !isNumOrNull(s.confidence) || typeof s.kept !== 'boolean')
    return 'scores must be {similarity, selfConsistency, annotation, confidence: number | null, kept: boolean}';
  if (!Array.isArray(v.qa)) return 'qa is not a list';
  const ids = new Set<string>();
  for (let i = 0; i < v.qa.length; i++) {
    const e = checkQa(v.qa[i], i);
    if (e) return e;
    const id = (v.qa[i] as { id: string }).id;
    if (ids.has(id)) return `qa id '${id}' appears twice`;
    ids.add(id);
  }
  if (!Array.isArray(v.history)) return 'history is not a list';
  for (let i = 0; i < v.history.length; i++) {
    const h = v.history[i];
    if (!isObj(h) || !isStr(h.at) || !isStr(h.action)) return `history[${i}] must have at and action`;
  }
  if (v.source !== undefined) {
    const src = v.source;
    if (!isObj(src) || !isStr(src.dataset) || !isStrArray(src.labels)) return 'source must be {dataset, labels}';
    if (src.level !== undefined && src.level !== 'high' && src.level !== 'medium' && src.level !== 'low') return 'source.level must be high, medium or low';
  }
  return null;
}
