// Previews a VS Code webview can play, cached by content; and .npy files numpy can read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, copyFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNpyFloat32, encodeNpyFloat32, ensurePreview } from '../../src/media';
import { testClip } from '../support/make-media';
import { runPython } from '../support/python';

function streams(file: string): { codec_name: string; codec_type: string; pix_fmt?: string; width?: number; height?: number }[] {
  const r = spawnSync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', file], { encoding: 'utf8' });
  return (JSON.parse(r.stdout) as { streams: never[] }).streams;
}

for (const name of ['vp9-opus.webm', 'odd-333x177.mp4', 'surround-5.1.mp4', 'audio-48k-stereo.flac', '4k.mp4'] as const) {
  test(`the preview of ${name} is H.264 yuv420p with even sides and MP3 audio, index first`, async () => {
    const cache = mkdtempSync(join(tmpdir(), 'avu-preview-'));
    const out = await ensurePreview(testClip(name), cache);
    const s = streams(out);
    const v = s.find((x) => x.codec_type === 'video');
    const a = s.find((x) => x.codec_type === 'audio');
    if (name !== 'audio-48k-stereo.flac') {
      assert.equal(v?.codec_name, 'h264');
      assert.equal(v?.pix_fmt, 'yuv420p');
      assert.equal(v!.width! % 2, 0);
      assert.equal(v!.height! % 2, 0);
      assert.ok(v!.width! <= 1280 && v!.height! <= 720);
    }
    assert.equal(a?.codec_name, 'mp3');
    const bytes = readFileSync(out);
    assert.ok(bytes.indexOf('moov') < bytes.indexOf('mdat'), '+faststart: moov before mdat');
  });
}

test('a preview is made once and reused until the clip changes', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'avu-preview-cache-'));
  const clip = join(cache, 'clip.mp4');
  copyFileSync(testClip('h264-aac.mp4'), clip);
  const first = await ensurePreview(clip, cache);
  const made = statSync(first).mtimeMs;
  const [again, parallel] = await Promise.all([ensurePreview(clip, cache), ensurePreview(clip, cache)]);
  assert.equal(again, first);
  assert.equal(parallel, first);
  assert.equal(statSync(first).mtimeMs, made, 'not transcoded again');
  utimesSync(clip, new Date(), new Date(Date.now() + 5000));
  const changed = await ensurePreview(clip, cache);
  assert.notEqual(changed, first);
});

test('.npy files carry shape and dtype, numpy reads them, and they read back unchanged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'avu-npy-'));
  const data = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 0.5 - 3);
  const bytes = encodeNpyFloat32(data, [2, 3, 4]);
  const headerLen = bytes.readUInt16LE(8);
  assert.equal((10 + headerLen) % 64, 0, 'header padded to 64 bytes');
  const back = decodeNpyFloat32(bytes);
  assert.deepEqual(back.shape, [2, 3, 4]);
  assert.deepEqual([...back.data], [...data]);
  const file = join(dir, 'x.npy');
  writeFileSync(file, bytes);
  writeFileSync(join(dir, 'check.py'), `import numpy as np, sys\na = np.load(sys.argv[1])\nprint(a.dtype, a.shape, float(a.sum()))\n`);
  const out = runPython(join(dir, 'check.py'), [file]);
  assert.equal(out.trim(), `float32 (2, 3, 4) ${data.reduce((a, b) => a + b, 0).toFixed(1)}`);
  assert.throws(() => encodeNpyFloat32(data, [5, 5]), /holds 25 values/);
});
