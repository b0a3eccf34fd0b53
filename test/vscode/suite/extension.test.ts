// What a user of AVU Studio sees in a real VS Code: the extension activates, its commands exist, the explorer
// offers "Probe Clip" on videos, and the commands report the right facts about ffmpeg and a clip.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'avu-studio.avu-studio';

interface ToolInfo {
  path: string;
  version: string;
  source: string;
}
interface ClipInfo {
  durationS: number;
  width: number;
  height: number;
  fps: number;
  hasAudio: boolean;
  sampleRateHz?: number;
  channels?: number;
}

function makeClip(dir: string): string {
  const out = join(dir, 'tone 320x240.mp4');
  const r = spawnSync('ffmpeg', [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2',
    '-ac', '2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', out,
  ], { encoding: 'utf8' });
  assert.equal(r.status, 0, `ffmpeg could not make the test clip: ${r.stderr}`);
  return out;
}

async function setFfmpegPath(value: string | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('avu').update('ffmpegPath', value, vscode.ConfigurationTarget.Global);
}

describe('AVU Studio in VS Code', () => {
  let dir: string;
  let clip: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'avu-vscode-'));
    clip = makeClip(dir);
  });
  after(async () => {
    await setFfmpegPath(undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('activates when one of its commands runs', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    await vscode.commands.executeCommand('avu.showMediaTools');
    assert.equal(ext.isActive, true);
  });

  it('registers its commands', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const id of ['avu.showMediaTools', 'avu.probeClip']) assert.ok(all.includes(id), `${id} is registered`);
  });

  it('offers Probe Clip in the explorer menu of video files only', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { menus: Record<string, { command: string; when?: string }[]> };
    };
    const entry = pkg.contributes.menus['explorer/context']?.find((m) => m.command === 'avu.probeClip');
    assert.ok(entry?.when, 'explorer/context has avu.probeClip with a when clause');
    const match = /resourceExtname =~ \/(.*)\/i/.exec(entry.when);
    assert.ok(match?.[1]);
    const re = new RegExp(match[1], 'i');
    for (const ext of ['.mp4', '.MOV', '.webm', '.mkv']) assert.ok(re.test(ext), `${ext} gets the menu`);
    for (const ext of ['.txt', '.wav', '.json']) assert.ok(!re.test(ext), `${ext} does not`);
  });

  it('Show Media Tools reports the ffmpeg and ffprobe that run, with their versions', async () => {
    const tools = await vscode.commands.executeCommand<{ ffmpeg: ToolInfo; ffprobe: ToolInfo } | undefined>('avu.showMediaTools');
    assert.ok(tools, 'the command succeeded');
    assert.match(tools.ffmpeg.version, /^ffmpeg version \S+/);
    assert.match(tools.ffprobe.version, /^ffprobe version \S+/);
    assert.notEqual(tools.ffmpeg.source, 'setting');
  });

  it('Probe Clip on a 2 s 320×240 25 fps clip with 48 kHz stereo audio says exactly that', async () => {
    const info = await vscode.commands.executeCommand<ClipInfo | undefined>('avu.probeClip', vscode.Uri.file(clip));
    assert.ok(info, 'the command succeeded');
    assert.equal(info.width, 320);
    assert.equal(info.height, 240);
    assert.ok(Math.abs(info.fps - 25) < 0.01, `fps ${info.fps}`);
    assert.ok(Math.abs(info.durationS - 2) < 0.1, `duration ${info.durationS}`);
    assert.equal(info.hasAudio, true);
    assert.equal(info.sampleRateHz, 48000);
    assert.equal(info.channels, 2);
  });

  it('Probe Clip on a text file named .mp4 fails with a message instead of throwing', async () => {
    const fake = join(dir, 'not a video.mp4');
    writeFileSync(fake, 'this is text, not a video\n');
    const info = await vscode.commands.executeCommand<ClipInfo | undefined>('avu.probeClip', vscode.Uri.file(fake));
    assert.equal(info, undefined);
  });

  it('honours avu.ffmpegPath in a trusted workspace and ignores it in an untrusted one', async () => {
    // The code-server runner runs this test a second time with workspace trust on and the folder untrusted.
    if (process.env.AVU_EXPECT_UNTRUSTED === '1') assert.equal(vscode.workspace.isTrusted, false, 'the workspace is untrusted');
    await setFfmpegPath('/nonexistent/avu-test/ffmpeg');
    try {
      const tools = await vscode.commands.executeCommand<{ ffmpeg: ToolInfo } | undefined>('avu.showMediaTools');
      if (vscode.workspace.isTrusted) {
        assert.equal(tools, undefined, 'the configured (missing) ffmpeg was used, so the command failed');
      } else {
        assert.ok(tools, 'the setting was ignored, so the default ffmpeg ran');
        assert.notEqual(tools.ffmpeg.source, 'setting');
        assert.notEqual(tools.ffmpeg.path, '/nonexistent/avu-test/ffmpeg');
      }
    } finally {
      await setFfmpegPath(undefined);
    }
  });
});
