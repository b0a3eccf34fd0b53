// The fine-tune set's split by clip: deterministic, recorded, and never splitting one clip's items.
import { createHash } from 'node:crypto';

export interface Split {
  method: string;
  heldOutShare: number;
  train: string[];
  heldOut: string[];
}

/**
 * The ceil(share · n) clips with the smallest sha1 of their dataset-relative path are held out (at least one
 * when there are two or more clips, never all of them); the rest train. Same clips → same split, on any machine.
 */
export function splitByClip(clips: readonly string[], heldOutShare: number): Split {
  if (!(heldOutShare >= 0 && heldOutShare < 1)) throw new RangeError(`heldOutShare must be in [0, 1), got ${heldOutShare}`);
  const keyed = [...new Set(clips)].map((c) => ({ c, k: createHash('sha1').update(c).digest('hex') }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  let n = Math.ceil(heldOutShare * keyed.length);
  if (heldOutShare > 0 && keyed.length >= 2) n = Math.max(1, n);
  n = Math.min(n, Math.max(0, keyed.length - 1));
  const heldOut = keyed.slice(0, n).map((x) => x.c).sort();
  const train = keyed.slice(n).map((x) => x.c).sort();
  return { method: 'sha1(clip) order: the first ceil(share*n) clips are held out', heldOutShare, train, heldOut };
}
