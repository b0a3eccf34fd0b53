// Issue 15 item 9: media inputs. A clip whose name looks like an ffmpeg protocol (`concat:a.mp4|b.mp4`,
// `http:x.mp4`, `pipe:1.mp4`) is that file at every spawn site (probe, keyframes, frames, audio, preview);
// symlinked clips are captioned and counted, symlink loops refused in a sentence; an audio-only file gets
// an audio record and a "no video stream" note; a 3-hour clip is captioned in bounded memory (peak RSS
// measured with /usr/bin/time -v, printed, and held to a generous bound). Real ffmpeg, real files.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { decodeAudio16k, decodeFramesAndAudio } from '../../src/media/decode';
import { extractFeatures, frameTimestampsS } from '../../src/media/features';
import { segmentBounds, spectrogramsFromPcm } from '../../src/media/audio';
import { listKeyframesS, probeMedia } from '../../src/media/probe';
import { ensurePreview } from '../../src/media/preview';
import { resolveMediaTools } from '../../src/media/tools';
import type { AvuSample } from '../../src/dataset/record';
import { testClip } from '../support/make-media';
import { tally, tmp } from './tally';

const t = tally('media');
const REPO = path.join(__dirname, '../..');
const MODEL = ['--model', path.join(REPO, 'models/dolphin-tiny'), '--device', 'cpu'];
const tools = resolveMediaTools();

function ffmpeg(args: string[], out: string): void {
  const r = spawnSync(tools.ffmpeg.path, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args, `${out}.tmp.mp4`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  fs.renameSync(`${out}.tmp.mp4`, out);
}

/** `avu` as its own process. */
function avu(argv: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/cli/main.ts'), ...argv], { cwd: REPO, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const home = process.cwd();
after(() => process.chdir(home));

test('item 9: clips named like ffmpeg protocols are those files at every spawn site', async () => {
  const dir = tmp();
  // a.mp4 and b.mp4 are 3 s and 2 s; the file named concat:a.mp4|b.mp4 is a 0.3 s clip. The concat protocol
  // would read 5 s of a and b; http: would go to the network; pipe: would read a file descriptor.
  fs.copyFileSync(testClip('h264-aac.mp4'), path.join(dir, 'a.mp4'));
  fs.copyFileSync(testClip('mono-8k.mp4'), path.join(dir, 'b.mp4'));
  const names = ['concat:a.mp4|b.mp4', 'http:x.mp4', 'pipe:1.mp4', 'subfile:y.mp4', 'data:z.mp4', 'file:w.mp4'];
  for (const n of names) fs.copyFileSync(testClip('short-0.3s.mp4'), path.join(dir, n));
  process.chdir(dir);
  try {
    const want = await probeMedia(testClip('short-0.3s.mp4'), { tools });
    const ts = frameTimestampsS(want.durationS);
    const ref = await extractFeatures(testClip('short-0.3s.mp4'), { tools });
    for (const n of names) {
      t.attack('item 9', 5);
      const info = await probeMedia(n, { tools });
      assert.equal(info.durationS, want.durationS, `${n}: probe read the file`);
      assert.deepEqual(await listKeyframesS(n, { tools }), await listKeyframesS(testClip('short-0.3s.mp4'), { tools }), `${n}: keyframes`);
      const f = await extractFeatures(n, { tools });
      assert.deepEqual(f.spectrograms, ref.spectrograms, `${n}: audio`);
      assert.deepEqual(f.frames, ref.frames, `${n}: frames (reference-only path)`);
      const g = await decodeFramesAndAudio(n, info, ts, true, { tools });
      assert.equal(g.path, 'keyframe-groups');
      assert.equal(g.pcm.length, (await decodeAudio16k(testClip('short-0.3s.mp4'), { tools })).length, `${n}: keyframe-group frames and audio`);
      const preview = await ensurePreview(n, path.join(dir, 'previews'), { tools });
      assert.equal((await probeMedia(preview, { tools })).durationS < 1, true, `${n}: preview of the file`);
    }
  } finally {
    process.chdir(home);
  }
});

test('item 9: the streamed audio segments are the very segments cut from the whole PCM', async () => {
  t.attack('item 9');
  for (const name of ['h264-aac.mp4', 'short-0.3s.mp4', 'surround-5.1.mp4'] as const) {
    const clip = testClip(name);
    const f = await extractFeatures(clip, { tools });
    const whole = spectrogramsFromPcm(await decodeAudio16k(clip, { tools }), segmentBounds(f.timestampsS));
    assert.deepEqual(f.spectrograms, whole, name);
  }
});

test('item 9: symlinked clips are captioned and counted; a symlink loop is refused in one sentence', () => {
  const dir = tmp();
  fs.mkdirSync(path.join(dir, 'real'));
  fs.copyFileSync(testClip('short-0.3s.mp4'), path.join(dir, 'real/one.mp4'));
  fs.symlinkSync(path.join(dir, 'real/one.mp4'), path.join(dir, 'link.mp4'));
  fs.symlinkSync('loop.mp4', path.join(dir, 'loop.mp4'));
  fs.symlinkSync(dir, path.join(dir, 'real/up')); // a folder loop: walked once
  t.attack('item 9', 3);
  const r = avu(['caption', dir, ...MODEL]);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /2 of 3 clips captioned .*; 1 failed:/);
  assert.match(r.err, /loop\.mp4: Clip 'loop\.mp4' is a symbolic link that leads back to itself \(a loop\); point it at a media file or remove it\./);
  const records = fs.readdirSync(path.join(dir, '.avu/records'));
  assert.equal(records.length, 2, records.join(' '));
  const clips = records.map((n) => (JSON.parse(fs.readFileSync(path.join(dir, '.avu/records', n), 'utf8')) as AvuSample).clip).sort();
  assert.deepEqual(clips, ['link.mp4', 'real/one.mp4']);
});

test('item 9: an audio-only file gets an audio record and a "no video stream" note, no visual caption', () => {
  t.attack('item 9');
  const dir = tmp();
  const clip = path.join(dir, 'voice.mp4');
  ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=330:duration=3:sample_rate=16000', '-c:a', 'aac'], clip);
  const r = avu(['caption', clip, '--no-store', '--json', ...MODEL]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /note: voice\.mp4 has no video stream; it gets the audio caption, audio meta and audio Q&A only/);
  const rec = JSON.parse(r.out) as AvuSample;
  assert.equal(rec.media.hasVideo, false);
  assert.equal(rec.captions.visual, '');
  assert.equal(rec.captions.av, '');
  assert.notEqual(rec.captions.audio, '');
  assert.ok(rec.qa.length > 0 && rec.qa.every((q) => q.modality === 'audio'), JSON.stringify(rec.qa.map((q) => q.modality)));
  assert.ok(Object.values(rec.meta.visual).every((v) => v.length === 0));
});

/** A 3-hour 64x64 clip (2 fps, 16 kHz AAC), made once per machine. */
function longClip(): string {
  const out = path.join(os.tmpdir(), 'avu-hostile-3h-64x64-v1.mp4');
  if (fs.existsSync(`${out}.done`)) return out;
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=64x64:rate=2:duration=10800', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=10800',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '120', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '24k', '-ac', '1', '-shortest'], out);
  fs.writeFileSync(`${out}.done`, '');
  return out;
}

/** Peak RSS (MB) of a command and its children, from GNU time's "Maximum resident set size". */
function peakRssMb(argv: string[]): { mb: number; code: number | null; err: string } {
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, '--import', 'tsx', path.join(REPO, 'src/cli/main.ts'), ...argv], { cwd: REPO, encoding: 'utf8' });
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  assert.ok(m, `no RSS figure in: ${r.stderr.slice(-500)}`);
  return { mb: Number(m[1]) / 1024, code: r.status, err: r.stderr };
}

test('item 9: a 3-hour clip is featurised and captioned in bounded memory (peak RSS <= 500 MB)', { skip: !fs.existsSync('/usr/bin/time') && 'needs GNU time at /usr/bin/time' }, () => {
  const clip = longClip();
  const out = tmp('avu-hostile-features-');
  for (const [what, argv] of [
    ['features', ['features', clip, '--out', path.join(out, 'f')]],
    ['caption', ['caption', clip, '--no-store', ...MODEL]],
  ] as const) {
    t.attack('item 9');
    const r = peakRssMb([...argv]);
    process.stderr.write(`hostile media: avu ${what} of a 3-hour 64x64 clip: peak RSS ${r.mb.toFixed(0)} MB\n`);
    assert.equal(r.code, 0, r.err.slice(-1000));
    assert.ok(r.mb <= 500, `peak RSS ${r.mb.toFixed(0)} MB for avu ${what} of a 3-hour clip (bound 500 MB)`);
  }
});
