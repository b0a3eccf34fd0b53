// A model bundle on disk: manifest.json checked against the schema, every listed file present and
// matching its sha256, before any session is created. Errors name the file.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { ModelError, throwIfAborted } from '../core/errors';
import { checkManifest, GRAPH_NAMES, type GraphName, type Manifest } from './manifest';
import { parseJson } from '../core/json-input';

/** A manifest names files and numbers; one this big is not one. */
const MANIFEST_MAX_BYTES = 16 * 2 ** 20;

export interface Bundle {
  dir: string;
  manifest: Manifest;
  graphPath(name: GraphName): string;
  tokenizerPath: string;
}

export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const stream = createReadStream(path, signal ? { signal } : {});
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function readManifest(dir: string): Promise<Manifest> {
  const path = join(dir, 'manifest.json');
  let text: string;
  const size = await stat(path).then((st) => st.size, () => 0);
  if (size > MANIFEST_MAX_BYTES)
    throw new ModelError('bad-manifest', `${path} is larger than ${MANIFEST_MAX_BYTES / 2 ** 20} MiB, the limit for a bundle manifest; re-export the bundle.`);
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const missingDir = await stat(dir).then((s) => !s.isDirectory(), () => true);
    if (missingDir) throw new ModelError('bundle-not-found', `No model bundle at ${dir}: the folder does not exist; pass --model with a bundle folder.`, { cause: err });
    throw new ModelError('missing-file', `${path} is missing; a model bundle needs a manifest.json (docs/bundle.md).`, { cause: err });
  }
  const parsed = parseJson(text);
  if (!parsed.ok) throw new ModelError('bad-manifest', `${path} ${parsed.error}; re-export the bundle.`);
  return checkManifest(parsed.value, path);
}

/** Reads and verifies a bundle: schema, presence and sha256 of every file in `files`. */
export async function loadBundle(dirArg: string, opts: { signal?: AbortSignal } = {}): Promise<Bundle> {
  const dir = resolve(dirArg);
  const manifest = await readManifest(dir);
  for (const [file, expected] of Object.entries(manifest.files)) {
    throwIfAborted(opts.signal);
    const path = join(dir, file);
    const size = await stat(path).then((s) => s.size, () => -1);
    if (size < 0) throw new ModelError('missing-file', `${path} is missing from the model bundle; re-export or re-copy the bundle.`);
    const actual = await sha256File(path, opts.signal);
    if (actual !== expected) {
      throw new ModelError('corrupt-file', `${path} does not match its sha256 in manifest.json (truncated or modified, ${size} bytes); re-copy the bundle.`);
    }
  }
  const graphs = Object.fromEntries(GRAPH_NAMES.map((g) => [g, join(dir, manifest.graphs[g].file)])) as Record<GraphName, string>;
  return { dir, manifest, graphPath: (name) => graphs[name], tokenizerPath: join(dir, manifest.tokenizer.file) };
}
