// Limits on JSON and text that arrive from files (records, journals, task annotations, manifests). V8
// parses deep JSON fine but everything after it (JSON.stringify, validation, canonical output) recurses
// and dies with "Maximum call stack size exceeded"; a file over ~512 MiB cannot even become a string
// ("Cannot create a string longer than ..."). Both are checked first, so the user gets one sentence that
// names the file and the limit instead.
import * as fs from 'node:fs';
import { DatasetError } from './errors';

/** Deepest nesting of arrays and objects accepted; AVU's own files nest at most 6 levels. */
export const JSON_MAX_DEPTH = 64;
/** Largest annotation or manifest file read into memory at once. */
export const TEXT_FILE_MAX_BYTES = 256 * 1024 * 1024;

export type JsonParsed = { ok: true; value: unknown } | { ok: false; error: string };

function mib(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round(n / (1024 * 1024))} MiB` : `${Math.round(n / 1024)} KiB`;
}

/** Nesting depth of a JSON text, counting only brackets outside strings; stops once past `limit`. */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** JSON.parse with the depth limit; the error is a phrase to put after the file's name. */
export function parseJson(text: string, maxDepth = JSON_MAX_DEPTH): JsonParsed {
  if (jsonDepth(text, maxDepth) > maxDepth) return { ok: false, error: `nests arrays or objects more than ${maxDepth} levels deep, the limit` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, error: `is not valid JSON (${(err as Error).message})` };
  }
}

/**
 * Reads a UTF-8 text file of at most `maxBytes` (a pipe such as `<(zcat f.gz)` too, read until its end);
 * a bigger one is refused in one sentence naming it and the limit.
 */
export function readTextFile(file: string, maxBytes = TEXT_FILE_MAX_BYTES): string {
  const tooBig = (): DatasetError =>
    new DatasetError('input-too-large', `${file} is larger than ${mib(maxBytes)}, the limit for one input file; split it into smaller files and import each.`);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatasetError('unreadable-input', `${file} cannot be read (${code ?? String(err)}); check that it exists and its permissions.`, { cause: err });
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new DatasetError('unreadable-input', `${file} is a folder, not a file.`);
    if (st.isFile() && st.size > maxBytes) throw tooBig();
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.alloc(1024 * 1024);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooBig();
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** readTextFile + parseJson, throwing one sentence naming the file (`what`: "MUSIC-AVQA questions"). */
export function readJsonFile(file: string, what: string, maxBytes = TEXT_FILE_MAX_BYTES): unknown {
  const r = parseJson(readTextFile(file, maxBytes));
  if (!r.ok) throw new DatasetError('bad-json-input', `${file} ${r.error}; it should hold ${what}.`);
  return r.value;
}
