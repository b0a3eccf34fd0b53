// Which dataset a clip belongs to, and the clip's path inside it. Shared by `avu caption`, `avu review`
// and the VS Code extension, so it is plain Node: it only reads the file system (never writes, never
// creates `.avu/`) and has no other state.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatasetError } from '../core/errors';

/** The folder inside a dataset root that holds its store. */
export const STORE_DIR = '.avu';

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The dataset root (an absolute path) of a folder or a clip:
 * - a folder is its own root;
 * - a clip belongs to the nearest folder above it that holds `.avu/` (its own folder included),
 *   so a clip in a subfolder of a dataset stays in that dataset;
 * - a clip with no `.avu/` above it belongs to its own folder (captioning it makes the store there).
 * A path that does not exist is treated as a clip.
 */
export function findDatasetRoot(clipOrDir: string): string {
  const abs = path.resolve(clipOrDir);
  if (isDir(abs)) return abs;
  const own = path.dirname(abs);
  for (let d = own; ; ) {
    if (isDir(path.join(d, STORE_DIR))) return d;
    const up = path.dirname(d);
    if (up === d) return own;
    d = up;
  }
}

/**
 * The path of `clip` relative to the dataset `root`, with forward slashes (what a record's `clip`
 * holds), or undefined when the clip is not inside the root (or is the root itself).
 */
export function clipPathInDataset(root: string, clip: string): string | undefined {
  const rel = path.relative(path.resolve(root), path.resolve(clip));
  if (rel === '' || path.isAbsolute(rel) || rel === '..' || rel.startsWith('..' + path.sep)) return undefined;
  return rel.split(path.sep).join('/');
}

/** `clipPathInDataset`, or a DatasetError naming both paths when the clip lies outside the dataset. */
export function requireClipInDataset(root: string, clip: string): string {
  const rel = clipPathInDataset(root, clip);
  if (rel === undefined)
    throw new DatasetError('outside-dataset', `The clip ${clip} is not inside the dataset ${root}; pass a clip inside it, or another --dataset.`);
  return rel;
}
