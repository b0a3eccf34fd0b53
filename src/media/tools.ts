// Which ffmpeg and ffprobe run: an explicit path (the avu.ffmpegPath setting; ffprobe beside it), else $AVU_FFMPEG,
// else ffmpeg/ffprobe on PATH, else the binaries shipped in @ffmpeg-installer/@ffprobe-installer.
// Resolution touches only the file system (no process starts), so every extraction can call it cheaply;
// describeMediaTools() also runs `-version` to say which build it is.
import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, delimiter, dirname, join } from 'node:path';
import { MediaError } from '../core/errors';
import { runTool } from './process';

export type ToolSource = 'setting' | 'env' | 'path' | 'bundled';

export interface ToolLocation {
  /** Absolute path of the program that runs. */
  path: string;
  /** Where the path came from. */
  source: ToolSource;
}

export interface ToolInfo extends ToolLocation {
  /** First line of `-version`, e.g. "ffmpeg version 5.1.6-0+deb12u1 ...". */
  version: string;
}

export interface ResolvedTools {
  ffmpeg: ToolLocation;
  ffprobe: ToolLocation;
}

export interface MediaTools {
  ffmpeg: ToolInfo;
  ffprobe: ToolInfo;
}

export interface ToolOptions {
  /** A trusted ffmpeg path (the avu.ffmpegPath setting); ffprobe is looked up beside it. */
  ffmpegPath?: string | undefined;
  signal?: AbortSignal | undefined;
}

const exe = process.platform === 'win32' ? '.exe' : '';

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The ffprobe that belongs to an ffmpeg path: same folder, same naming (ffmpeg-6 → ffprobe-6). */
export function ffprobeBeside(ffmpegPath: string): string {
  const name = basename(ffmpegPath);
  const probeName = /ffmpeg/i.test(name) ? name.replace(/ffmpeg/i, 'ffprobe') : `ffprobe${exe}`;
  return join(dirname(ffmpegPath), probeName);
}

function onPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program + exe);
    if (isFile(candidate) && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** npm 11 does not run the installers' `chmod u+x` postinstall; do it here, or say what to do. */
function ensureExecutable(p: string): void {
  if (isExecutable(p)) return;
  try {
    chmodSync(p, statSync(p).mode | 0o111);
  } catch (err) {
    throw new MediaError(
      'tool-not-executable',
      `The bundled ${basename(p)} at '${p}' is not executable and could not be made so; run 'chmod +x ${p}', or install ffmpeg and ffprobe on PATH.`,
      { cause: err },
    );
  }
}

function bundled(pkg: '@ffmpeg-installer/ffmpeg' | '@ffprobe-installer/ffprobe'): string | undefined {
  try {
    const req = createRequire(__filename);
    const mod = req(pkg) as { path?: unknown };
    return typeof mod.path === 'string' && isFile(mod.path) ? mod.path : undefined;
  } catch {
    return undefined;
  }
}

function explicit(ffmpegPath: string, source: ToolSource): ResolvedTools {
  const ffprobe = ffprobeBeside(ffmpegPath);
  const origin = source === 'setting' ? 'the avu.ffmpegPath setting' : 'AVU_FFMPEG';
  if (!isFile(ffmpegPath))
    throw new MediaError('tool-not-found', `ffmpeg was not found at '${ffmpegPath}' (from ${origin}); fix the path or clear it to use ffmpeg on PATH.`);
  if (!isFile(ffprobe))
    throw new MediaError('tool-not-found', `ffprobe was not found beside ${origin}'s ffmpeg (looked for '${ffprobe}'); put ffprobe in the same folder.`);
  return { ffmpeg: { path: ffmpegPath, source }, ffprobe: { path: ffprobe, source } };
}

/** Finds ffmpeg and ffprobe without starting either. Throws MediaError when none can be found. */
export function resolveMediaTools(opts: ToolOptions = {}): ResolvedTools {
  if (opts.ffmpegPath) return explicit(opts.ffmpegPath, 'setting');
  const fromEnv = process.env.AVU_FFMPEG;
  if (fromEnv) return explicit(fromEnv, 'env');
  const ffmpegOnPath = onPath('ffmpeg');
  const ffprobeOnPath = onPath('ffprobe');
  if (ffmpegOnPath && ffprobeOnPath)
    return { ffmpeg: { path: ffmpegOnPath, source: 'path' }, ffprobe: { path: ffprobeOnPath, source: 'path' } };
  const ffmpegBundled = bundled('@ffmpeg-installer/ffmpeg');
  const ffprobeBundled = bundled('@ffprobe-installer/ffprobe');
  if (ffmpegBundled && ffprobeBundled) {
    ensureExecutable(ffmpegBundled);
    ensureExecutable(ffprobeBundled);
    return { ffmpeg: { path: ffmpegBundled, source: 'bundled' }, ffprobe: { path: ffprobeBundled, source: 'bundled' } };
  }
  throw new MediaError(
    'tool-not-found',
    'ffmpeg and ffprobe were not found (not in avu.ffmpegPath, AVU_FFMPEG, PATH or the bundled packages); install ffmpeg (e.g. `apt install ffmpeg`) or set avu.ffmpegPath.',
  );
}

/** The tools that run, with their versions (starts each once with `-version`). */
export async function describeMediaTools(opts: ToolOptions = {}): Promise<MediaTools> {
  const tools = resolveMediaTools(opts);
  const version = async (t: ToolLocation): Promise<ToolInfo> => {
    const out = await runTool(t.path, ['-version'], { signal: opts.signal, timeoutMs: 20_000 });
    return { ...t, version: out.stdout.toString('utf8').split('\n')[0]?.trim() ?? '' };
  };
  const [ffmpeg, ffprobe] = await Promise.all([version(tools.ffmpeg), version(tools.ffprobe)]);
  return { ffmpeg, ffprobe };
}
