// Test media made at test time with ffmpeg's lavfi sources (issue 2, item 5), cached in a temp folder so that the
// suite encodes each clip once per machine and stays fast on 2 cores. `testClip(name)` returns a path, making the
// clip on first use; `brokenClip(name)` makes the broken inputs from valid ones.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveMediaTools } from '../../src/media/tools';

interface ClipSpec {
  file: string;
  /** ffmpeg arguments between the global options and the output path. */
  args: string[];
  /** What a test may rely on. */
  expect: { durationS: number; width: number; height: number; hasAudio: boolean; hasVideo: boolean; sampleRateHz?: number; channels?: number };
}

const video = (size: string, rate: number, d: number, src = 'testsrc2'): string[] => ['-f', 'lavfi', '-i', `${src}=size=${size}:rate=${rate}:duration=${d}`];
const tone = (d: number, sr: number, layout = 'mono', f = 440): string[] => ['-f', 'lavfi', '-i', `sine=frequency=${f}:duration=${d}:sample_rate=${sr},aformat=channel_layouts=${layout}`];
const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

export const CLIPS = {
  'h264-aac.mp4': { file: 'h264-aac.mp4', args: [...video('320x240', 25, 3), ...tone(3, 48000, 'stereo'), ...x264, '-c:a', 'aac', '-shortest'],
    expect: { durationS: 3, width: 320, height: 240, hasAudio: true, hasVideo: true, sampleRateHz: 48000, channels: 2 } },
  // B-frames with b-pyramid (x264's default), several GOPs: the reference-only decode drops non-reference pictures.
  'h264-bframes.mp4': { file: 'h264-bframes.mp4', args: [...video('320x240', 30, 4), ...tone(4, 48000), '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '3', '-g', '30', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'],
    expect: { durationS: 4, width: 320, height: 240, hasAudio: true, hasVideo: true, sampleRateHz: 48000, channels: 1 } },
  // The same in MPEG-TS: start-code packets, parameter sets in-band.
  'h264-bframes.ts': { file: 'h264-bframes.ts', args: [...video('320x240', 30, 4), ...tone(4, 48000), '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '3', '-g', '30', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'],
    expect: { durationS: 4, width: 320, height: 240, hasAudio: true, hasVideo: true, sampleRateHz: 48000, channels: 1 } },
  'vp9-opus.webm': { file: 'vp9-opus.webm', args: [...video('320x240', 25, 2), ...tone(2, 48000, 'stereo'), '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-c:a', 'libopus', '-shortest'],
    expect: { durationS: 2, width: 320, height: 240, hasAudio: true, hasVideo: true, sampleRateHz: 48000, channels: 2 } },
  'mpeg4-mp3.avi': { file: 'mpeg4-mp3.avi', args: [...video('320x240', 25, 2), ...tone(2, 44100, 'stereo'), '-c:v', 'mpeg4', '-q:v', '5', '-c:a', 'libmp3lame', '-shortest'],
    expect: { durationS: 2, width: 320, height: 240, hasAudio: true, hasVideo: true, sampleRateHz: 44100, channels: 2 } },
  'pcm.mov': { file: 'pcm.mov', args: [...video('320x240', 25, 2), ...tone(2, 48000, 'mono'), ...x264, '-c:a', 'pcm_s16le', '-shortest'],
    expect: { durationS: 2, width: 320, height: 240, hasAudio: true, hasVideo: true, sampleRateHz: 48000, channels: 1 } },
  'audio-44k-mono.wav': { file: 'audio-44k-mono.wav', args: [...tone(2.5, 44100, 'mono'), '-c:a', 'pcm_s16le'],
    expect: { durationS: 2.5, width: 0, height: 0, hasAudio: true, hasVideo: false, sampleRateHz: 44100, channels: 1 } },
  'audio-48k-stereo.flac': { file: 'audio-48k-stereo.flac', args: [...tone(2, 48000, 'stereo', 1000), '-c:a', 'flac'],
    expect: { durationS: 2, width: 0, height: 0, hasAudio: true, hasVideo: false, sampleRateHz: 48000, channels: 2 } },
  'audio-44k.mp3': { file: 'audio-44k.mp3', args: [...tone(2, 44100, 'stereo'), '-c:a', 'libmp3lame'],
    expect: { durationS: 2, width: 0, height: 0, hasAudio: true, hasVideo: false, sampleRateHz: 44100, channels: 2 } },
  'no-audio.mp4': { file: 'no-audio.mp4', args: [...video('320x240', 25, 2), ...x264],
    expect: { durationS: 2, width: 320, height: 240, hasAudio: false, hasVideo: true } },
  'single-frame.mp4': { file: 'single-frame.mp4', args: [...video('320x240', 25, 1), ...x264, '-frames:v', '1'],
    expect: { durationS: 0.04, width: 320, height: 240, hasAudio: false, hasVideo: true } },
  'short-0.3s.mp4': { file: 'short-0.3s.mp4', args: [...video('320x240', 30, 0.3), ...tone(0.3, 48000), ...x264, '-c:a', 'aac'],
    expect: { durationS: 0.3, width: 320, height: 240, hasAudio: true, hasVideo: true, sampleRateHz: 48000, channels: 1 } },
  'long-10min.mp4': { file: 'long-10min.mp4', args: [...video('64x48', 2, 600, 'testsrc'), ...tone(600, 8000), ...x264, '-g', '20', '-c:a', 'aac', '-b:a', '16k', '-shortest'],
    expect: { durationS: 600, width: 64, height: 48, hasAudio: true, hasVideo: true, sampleRateHz: 8000, channels: 1 } },
  '4k.mp4': { file: '4k.mp4', args: [...video('3840x2160', 10, 0.5), ...tone(0.5, 48000), ...x264, '-c:a', 'aac', '-shortest'],
    expect: { durationS: 0.5, width: 3840, height: 2160, hasAudio: true, hasVideo: true, sampleRateHz: 48000, channels: 1 } },
  'odd-333x177.mp4': { file: 'odd-333x177.mp4', args: [...video('333x177', 25, 1, 'testsrc'), ...tone(1, 22050), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p', '-c:a', 'aac', '-shortest'],
    expect: { durationS: 1, width: 333, height: 177, hasAudio: true, hasVideo: true, sampleRateHz: 22050, channels: 1 } },
  'tall-101x301.mkv': { file: 'tall-101x301.mkv', args: [...video('101x301', 25, 1, 'testsrc'), '-c:v', 'ffv1'],
    expect: { durationS: 1, width: 101, height: 301, hasAudio: false, hasVideo: true } },
  'vfr.mp4': { file: 'vfr.mp4', args: [...video('320x240', 30, 3), ...tone(3, 48000), '-vf', 'select=lt(mod(n\\,10)\\,3)+between(n\\,40\\,60)', '-fps_mode', 'vfr', ...x264, '-c:a', 'aac'],
    expect: { durationS: 3, width: 320, height: 240, hasAudio: true, hasVideo: true, sampleRateHz: 48000, channels: 1 } },
  'surround-5.1.mp4': { file: 'surround-5.1.mp4', args: [...video('320x240', 25, 2), ...tone(2, 48000, '5.1'), ...x264, '-c:a', 'aac', '-shortest'],
    expect: { durationS: 2, width: 320, height: 240, hasAudio: true, hasVideo: true, sampleRateHz: 48000, channels: 6 } },
  'mono-8k.mp4': { file: 'mono-8k.mp4', args: [...video('320x240', 25, 2), ...tone(2, 8000), ...x264, '-c:a', 'aac', '-shortest'],
    expect: { durationS: 2, width: 320, height: 240, hasAudio: true, hasVideo: true, sampleRateHz: 8000, channels: 1 } },
  // Left half white, right half black: tells which way a rotation went.
  'halves.mp4': { file: 'halves.mp4', args: ['-f', 'lavfi', '-i', 'color=white:size=320x240:rate=25:duration=2,drawbox=x=160:y=0:w=160:h=240:color=black:t=fill', ...x264],
    expect: { durationS: 2, width: 320, height: 240, hasAudio: false, hasVideo: true } },
} satisfies Record<string, ClipSpec>;

export type ClipName = keyof typeof CLIPS | 'rotated-90.mp4' | 'bench-720p-10s.mp4';

const VERSION = createHash('sha256').update(JSON.stringify(CLIPS)).digest('hex').slice(0, 10);
/** Where generated media lives; AVU_TEST_MEDIA overrides it. */
export const MEDIA_DIR = process.env.AVU_TEST_MEDIA ?? join(tmpdir(), `avu-test-media-${VERSION}`);

function ffmpeg(args: string[], out: string): void {
  mkdirSync(MEDIA_DIR, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp${out.slice(out.lastIndexOf('.'))}`;
  const r = spawnSync(resolveMediaTools().ffmpeg.path, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args, tmp], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`ffmpeg could not make test media ${out}: ${r.stderr || r.error?.message}`);
  renameSync(tmp, out);
}

/** The path of a generated valid clip (made on first use). */
export function testClip(name: ClipName): string {
  const out = join(MEDIA_DIR, name);
  if (existsSync(out)) return out;
  if (name === 'rotated-90.mp4') ffmpeg(['-i', testClip('halves.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90'], out);
  else if (name === 'bench-720p-10s.mp4') ffmpeg([...video('1280x720', 30, 10), ...tone(10, 48000, 'stereo'), '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'], out);
  else ffmpeg(CLIPS[name].args, out);
  return out;
}

export function clipExpectation(name: keyof typeof CLIPS): ClipSpec['expect'] {
  return CLIPS[name].expect;
}

export type BrokenName = 'zero-bytes.mp4' | 'truncated.mp4' | 'text.mp4' | 'no-moov.mp4';
export const BROKEN: readonly BrokenName[] = ['zero-bytes.mp4', 'truncated.mp4', 'text.mp4', 'no-moov.mp4'];

/** The path of a generated broken input. */
export function brokenClip(name: BrokenName): string {
  const out = join(MEDIA_DIR, name);
  if (existsSync(out)) return out;
  mkdirSync(MEDIA_DIR, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  if (name === 'zero-bytes.mp4') writeFileSync(tmp, '');
  else if (name === 'text.mp4') writeFileSync(tmp, 'This is a plain text file that only pretends to be a video.\n'.repeat(20));
  else if (name === 'no-moov.mp4') {
    // A plain MP4 keeps its index (moov) at the end: cut it off, as an interrupted recording would.
    const whole = readFileSync(testClip('h264-aac.mp4'));
    const moov = whole.lastIndexOf(Buffer.from('moov'));
    writeFileSync(tmp, whole.subarray(0, Math.max(8, moov - 4)));
  } else {
    // Index at the front (+faststart), most of the media data missing: an interrupted download.
    const fast = join(MEDIA_DIR, 'faststart-source.mp4');
    if (!existsSync(fast)) ffmpeg(['-i', testClip('h264-aac.mp4'), '-c', 'copy', '-movflags', '+faststart'], fast);
    const whole = readFileSync(fast);
    writeFileSync(tmp, whole.subarray(0, Math.floor(whole.length * 0.3)));
  }
  renameSync(tmp, out);
  return out;
}

/** Removes the cache (for a clean run). */
export function clearTestMedia(): void {
  rmSync(MEDIA_DIR, { recursive: true, force: true });
}
