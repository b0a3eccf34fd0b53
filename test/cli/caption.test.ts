// `avu caption` as a user runs it: records on stdout, one clear line for bad input, per-clip errors
// that do not stop a folder, and shards that cover a folder exactly once.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { AvuSample } from '../../src/dataset/record';
import { checkRecord } from '../../src/dataset/validate';
import { fixtureBundle } from '../inference/fixture';

async function avu(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

function makeClip(path: string, seconds = 2, audio = true): void {
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=10:duration=${seconds}`];
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-c:a', 'aac');
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-shortest', path);
  const r = spawnSync('ffmpeg', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

describe('avu caption', () => {
  const bundle = fixtureBundle();
  const dir = mkdtempSync(join(tmpdir(), 'avu-caption-'));
  const clip = join(dir, 'one.mp4');
  before(() => makeClip(clip));

  it('prints a complete record for a clip with --json', async () => {
    const r = await avu('caption', clip, '--model', bundle, '--device', 'cpu', '--json', '--max-tokens', '8');
    assert.equal(r.code, 0, r.err);
    const rec = JSON.parse(r.out.trim()) as AvuSample;
    assert.equal(rec.clip, 'one.mp4');
    assert.match(rec.id, /^one-[0-9a-f]{8}$/);
    assert.deepEqual(checkRecord(rec), { ok: true, value: rec });
    assert.deepEqual(Object.keys(rec.captions).sort(), ['audio', 'av', 'visual']);
    assert.deepEqual(Object.keys(rec.meta).sort(), ['audio', 'visual']);
    assert.ok(rec.qa.length > 0 && rec.qa.every((q) => q.origin === 'model' && q.status === 'pending' && typeof q.a === 'string'));
    assert.equal(rec.media.hasAudio, true);
    assert.ok(Math.abs(rec.media.durationS - 2) < 0.2);
    assert.match(r.err, /running on cpu/);
  });

  it('names an undecodable clip in one line and exits non-zero', async () => {
    const bad = join(dir, 'broken.mp4');
    writeFileSync(bad, 'this is not a video');
    const r = await avu('caption', bad, '--model', bundle, '--device', 'cpu');
    assert.equal(r.code, 1);
    const lines = r.err.trim().split('\n');
    assert.match(lines[lines.length - 1]!, /^avu caption: .*broken\.mp4/);
  });

  it('names the bundle file that is missing', async () => {
    const r = await avu('caption', clip, '--model', join(dir, 'no-model'));
    assert.equal(r.code, 1);
    assert.match(r.err, /no-model/);
  });

  it('--device cuda without the CUDA provider says so in one line', async () => {
    const r = await avu('caption', clip, '--model', bundle, '--device', 'cuda');
    assert.equal(r.code, 1);
    assert.equal(r.err.trim().split('\n').length, 1);
    assert.match(r.err, /--device cuda cannot run here: the CUDA provider library is not installed/);
  });

  it('a folder goes on past a bad clip, lists it at the end and exits 1', async () => {
    const folder = join(dir, 'folder');
    mkdirSync(join(folder, 'sub'), { recursive: true });
    copyFileSync(clip, join(folder, 'a.mp4'));
    makeClip(join(folder, 'sub', 'b.mp4'), 1, false);
    writeFileSync(join(folder, 'bad.mp4'), 'garbage');
    const r = await avu('caption', folder, '--model', bundle, '--device', 'cpu', '--json', '--max-tokens', '4');
    assert.equal(r.code, 1);
    const recs = r.out.trim().split('\n').map((l) => JSON.parse(l) as AvuSample);
    assert.deepEqual(recs.map((x) => x.clip), ['a.mp4', 'sub/b.mp4']);
    assert.equal(recs[1]!.media.hasAudio, false);
    assert.match(r.err, /\[1\/3\] a\.mp4/);
    assert.match(r.err, /2 of 3 clips captioned .*; 1 failed:\n {2}bad\.mp4: /);
  });

  it('three shards over a folder of 30 clips cover every clip exactly once', async () => {
    const folder = join(dir, 'thirty');
    mkdirSync(folder);
    // Undecodable stand-ins: each clip is visited (and reported) without spending time on the model.
    const names = Array.from({ length: 30 }, (_v, i) => `clip-${String(i).padStart(2, '0')}.mp4`);
    for (const n of names) writeFileSync(join(folder, n), 'x');
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await avu('caption', folder, '--model', bundle, '--device', 'cpu', '--shard', `${i}/3`);
      assert.equal(r.code, 1);
      const failed = [...r.err.matchAll(/^ {2}(clip-\d\d\.mp4): /gm)].map((m) => m[1]!);
      assert.equal(failed.length, 10, `shard ${i}/3 takes 10 clips`);
      seen.push(...failed);
    }
    assert.deepEqual([...seen].sort(), names);
  });

  it('rejects a malformed shard', async () => {
    const r = await avu('caption', dir, '--shard', '3/3');
    assert.equal(r.code, 2);
    assert.match(r.err, /--shard 3\/3 is not i\/n with 0 <= i < n/);
  });
});
