// Canonical JSON for files people read and diff: two-space indentation, a fixed key order for the
// record's own objects (the order of DESIGN.md), alphabetical order for everything else, and a final
// newline. The same value always serialises to the same bytes.

const ORDER: Record<string, readonly string[]> = {
  record: ['id', 'clip', 'media', 'model', 'captions', 'meta', 'consistency', 'subset', 'scores', 'source', 'qa', 'history'],
  media: ['durationS', 'width', 'height', 'fps', 'hasAudio', 'hasVideo'],
  captions: ['audio', 'visual', 'av'],
  meta: ['audio', 'visual'],
  keywords: ['event', 'object', 'scene', 'place', 'action', 'emotion'],
  scores: ['similarity', 'selfConsistency', 'annotation', 'confidence', 'kept'],
  qa: ['id', 'subset', 'modality', 'q', 'a', 'origin', 'status', 'edit', 'reason', 'conflict', 'task'],
  history: ['at', 'action', 'op', 'target', 'qaId', 'before', 'after'],
};

function orderedKeys(obj: Record<string, unknown>, order: readonly string[] | undefined): string[] {
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
  if (!order) return keys.sort();
  const rank = new Map(order.map((k, i) => [k, i]));
  return keys.sort((a, b) => {
    const ra = rank.get(a) ?? Number.MAX_SAFE_INTEGER;
    const rb = rank.get(b) ?? Number.MAX_SAFE_INTEGER;
    return ra !== rb ? ra - rb : a < b ? -1 : a > b ? 1 : 0;
  });
}

/** Which ORDER table applies to the child `key` of an object that used table `parent`. */
function childTable(parent: string | undefined, key: string): string | undefined {
  if (parent === 'record') {
    if (key === 'media' || key === 'captions' || key === 'meta' || key === 'scores' || key === 'qa' || key === 'history') return key;
    return undefined;
  }
  if (parent === 'meta') return 'keywords';
  return undefined;
}

function sortValue(value: unknown, table: string | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => sortValue(v, table));
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of orderedKeys(obj, table ? ORDER[table] : undefined)) out[k] = sortValue(obj[k], childTable(table, k));
    return out;
  }
  return value;
}

/** A sample record as the text of its file. */
export function canonicalRecordJson(record: unknown): string {
  return JSON.stringify(sortValue(record, 'record'), null, 2) + '\n';
}

/** Any JSON value with keys sorted alphabetically at every level (pretty when `indent` is given). */
export function canonicalJson(value: unknown, indent?: number): string {
  return JSON.stringify(sortValue(value, undefined), null, indent);
}
