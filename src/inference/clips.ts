// Clip discovery and sharding for batch captioning: a folder's media files in a stable order, and a
// deterministic partition so that n processes (Slurm array tasks) cover the folder exactly once.
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { UsageError } from '../core/errors';

export const CLIP_EXTENSIONS = ['.mp4', '.mov', '.mkv', '.webm', '.avi', '.m4v'];

export interface Shard {
  index: number;
  count: number;
}

/** "i/n" with 0 <= i < n (Slurm's SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) {
    throw new UsageError('bad-shard', `--shard ${text} is not i/n with 0 <= i < n (for example --shard 0/4).`);
  }
  return { index, count };
}

/**
 * Media files under `dir` (recursively, skipping dot-folders such as .avu), as sorted forward-slash relative
 * paths. Symbolic links count: a link to a clip is that clip (named by the link), a link to a folder is
 * walked unless its folder was walked already (no loops). A link with a clip's name that leads nowhere or
 * back to itself is listed too, so it is counted and fails with a sentence saying so instead of vanishing.
 */
export async function listClips(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walked = new Set<string>();
  const isClip = (name: string): boolean => CLIP_EXTENSIONS.some((x) => name.toLowerCase().endsWith(x));
  const walk = async (d: string): Promise<void> => {
    const real = await realpath(d);
    if (walked.has(real)) return;
    walked.add(real);
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const st = await stat(p).catch(() => undefined); // undefined: dangling or a loop
        isDir = st?.isDirectory() ?? false;
        isFile = st ? st.isFile() : isClip(e.name);
      }
      if (isDir) await walk(p);
      else if (isFile && isClip(e.name)) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Clip k of the sorted list goes to shard k mod n: balanced, and the same on every machine. */
export function shardClips(clips: readonly string[], shard: Shard | undefined): string[] {
  if (!shard) return [...clips];
  return clips.filter((_c, k) => k % shard.count === shard.index);
}

export async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}
