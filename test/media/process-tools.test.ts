// The child-process wrapper and the ffmpeg lookup: cancel kills the child, timeouts stop it, failures carry
// stderr's tail, and the lookup order is setting > AVU_FFMPEG > PATH > bundled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, MediaError } from '../../src/core/errors';
import { ToolRunError, describeMediaTools, resolveMediaTools, runTool } from '../../src/media';

test('aborting kills the child and rejects with CancelledError at once', async () => {
  const ac = new AbortController();
  const started = Date.now();
  const p = runTool('sleep', ['30'], { signal: ac.signal });
  setTimeout(() => ac.abort(), 50);
  await assert.rejects(p, CancelledError);
  assert.ok(Date.now() - started < 2000);
});

test('a timeout stops the child with a sentence saying so', async () => {
  await assert.rejects(runTool('sleep', ['30'], { timeoutMs: 200 }), (err: Error) => err instanceof ToolRunError && /longer than/.test(err.message));
});

test('a failing tool reports its exit code and the tail of its stderr; stdout comes back as bytes', async () => {
  await assert.rejects(runTool('sh', ['-c', 'echo first >&2; echo "the real reason" >&2; exit 3']), (err: Error) => {
    assert.ok(err instanceof ToolRunError);
    assert.equal(err.exitCode, 3);
    assert.match(err.message, /the real reason/);
    return true;
  });
  const out = await runTool('printf', ['\\001\\002\\377']);
  assert.deepEqual([...out.stdout], [1, 2, 255]);
});

test('no shell: arguments with spaces and quotes reach the program unchanged', async () => {
  const out = await runTool('printf', ['%s|', 'a b', '"q"', '$(echo no)']);
  assert.equal(out.stdout.toString(), 'a b|"q"|$(echo no)|');
});

test('a missing program is a MediaError that says how to fix it', async () => {
  await assert.rejects(runTool('/nonexistent/ffmpeg', ['-version']), (err: Error) => err instanceof MediaError && /was not found/.test(err.message));
});

test('lookup order: explicit path, then AVU_FFMPEG, then PATH, then the bundled binaries', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'avu-tools-'));
  symlinkSync('/usr/bin/ffmpeg', join(dir, 'ffmpeg'));
  symlinkSync('/usr/bin/ffprobe', join(dir, 'ffprobe'));
  const saved = { env: process.env.AVU_FFMPEG, path: process.env.PATH };
  try {
    const explicit = resolveMediaTools({ ffmpegPath: join(dir, 'ffmpeg') });
    assert.equal(explicit.ffmpeg.source, 'setting');
    assert.equal(explicit.ffprobe.path, join(dir, 'ffprobe'));
    process.env.AVU_FFMPEG = join(dir, 'ffmpeg');
    assert.equal(resolveMediaTools().ffmpeg.source, 'env');
    delete process.env.AVU_FFMPEG;
    assert.equal(resolveMediaTools().ffmpeg.source, 'path');
    process.env.PATH = '/nonexistent';
    const bundled = await describeMediaTools();
    assert.equal(bundled.ffmpeg.source, 'bundled');
    assert.match(bundled.ffmpeg.version, /^ffmpeg version/);
    assert.match(bundled.ffprobe.version, /^ffprobe version/);
    assert.throws(() => resolveMediaTools({ ffmpegPath: join(dir, 'nope', 'ffmpeg') }), /avu\.ffmpegPath setting/);
  } finally {
    if (saved.env === undefined) delete process.env.AVU_FFMPEG;
    else process.env.AVU_FFMPEG = saved.env;
    process.env.PATH = saved.path;
  }
});

test('a tool that is not executable is made executable or named in a clear sentence', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'avu-noexec-'));
  copyFileSync('/usr/bin/ffprobe', join(dir, 'ffprobe'));
  chmodSync(join(dir, 'ffprobe'), 0o644);
  await assert.rejects(runTool(join(dir, 'ffprobe'), ['-version']), (err: Error) => err instanceof MediaError && /not executable/.test(err.message));
});

test('describeMediaTools says which ffmpeg runs and its version', async () => {
  const tools = await describeMediaTools();
  assert.match(tools.ffmpeg.version, /^ffmpeg version \S+/);
  assert.ok(tools.ffmpeg.path.startsWith('/'));
});
