// A preview that VS Code desktop webviews can play (their Chromium has no AAC, Opus or VP9): MP4 with H.264
// yuv420p (even dimensions, at most 1280x720), MP3 audio, +faststart. Cached under cacheDir by a key of the
// clip's size, mtime and first/last 64 KiB, so an edited clip gets a new preview and an unchanged one is reused.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkClipFile, explainToolFailure } from './probe';
import { fileInput, runTool } from './process';
import { resolveMediaTools, type ResolvedTools } from './tools';

const PREVIEW_VERSION = 'preview-1';
const SAMPLE = 64 * 1024;

export interface PreviewOptions {
  signal?: AbortSignal | undefined;
  tools?: ResolvedTools | undefined;
  ffmpegPath?: string | undefined;
}

/** The cache key of a clip: changes when its bytes (size, head, tail) or mtime change. */
export function previewKey(clip: string): string {
  const st = statSync(clip);
  const h = createHash('sha256').update(`${PREVIEW_VERSION}\n${st.size}\n${st.mtimeMs}\n`);
  const fd = openSync(clip, 'r');
  try {
    const buf = Buffer.alloc(Math.min(SAMPLE, st.size));
    readSync(fd, buf, 0, buf.length, 0);
    h.update(buf);
    readSync(fd, buf, 0, buf.length, Math.max(0, st.size - buf.length));
    h.update(buf);
  } finally {
    closeSync(fd);
  }
  return h.digest('hex').slice(0, 32);
}

const inFlight = new Map<string, Promise<string>>();

/** Path of the cached preview MP4 of a clip, transcoding it first if needed. Throws MediaError for a broken clip. */
export async function ensurePreview(clip: string, cacheDir: string, opts: PreviewOptions = {}): Promise<string> {
  checkClipFile(clip);
  const out = join(resolve(cacheDir), `${previewKey(clip)}.mp4`);
  if (existsSync(out)) return out;
  const pending = inFlight.get(out);
  if (pending) return pending;
  const job = transcode(clip, out, opts).finally(() => inFlight.delete(out));
  inFlight.set(out, job);
  return job;
}

async function transcode(clip: string, out: string, opts: PreviewOptions): Promise<string> {
  const tools = opts.tools ?? resolveMediaTools({ ffmpegPath: opts.ffmpegPath });
  await mkdir(join(out, '..'), { recursive: true });
  // Written beside the final name and renamed into place: a reader never sees half a file.
  const tmp = `${out}.${process.pid}.${Date.now()}.tmp.mp4`;
  const fit = 'min(1\\,min(1280/iw\\,720/ih))';
  const args = [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-y', '-i', fileInput(clip),
    '-map', '0:v:0?', '-map', '0:a:0?', '-sn', '-dn',
    '-vf', `scale=w=trunc(${fit}*iw/2)*2:h=trunc(${fit}*ih/2)*2,format=yuv420p`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p',
    '-af', 'aformat=channel_layouts=mono|stereo', '-c:a', 'libmp3lame', '-b:a', '128k',
    '-movflags', '+faststart', '-f', 'mp4', fileInput(tmp),
  ];
  try {
    await runTool(tools.ffmpeg.path, args, { signal: opts.signal, timeoutMs: 30 * 60_000 });
    await rename(tmp, out);
  } catch (err) {
    await rm(tmp, { force: true });
    throw explainToolFailure(clip, err);
  }
  return out;
}

