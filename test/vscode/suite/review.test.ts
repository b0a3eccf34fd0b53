// The annotator's loop in a real VS Code: Caption Clip on a bundled AVU-Synth clip writes a record with Q&A into
// the dataset's store; accepting an item through the command is in the store (read back by a second, independent
// store instance, as another window would); VS Code's Undo in the panel undoes it and the store records the undo;
// closing and reopening the clip shows the store's state. Also run in the untrusted pass: reviewing works there.
import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { AvuStore } from '../../../src/dataset/store';
import { recordIdForClip } from '../../../src/dataset/sample';
import type { AvuSample } from '../../../src/dataset/record';

const EXTENSION_ID = 'avu-studio.avu-studio';
const SAMPLE = 'synth-00004242.mp4';

interface Api {
  statusText(): string;
  reviewState(uri: vscode.Uri): Promise<{ record: AvuSample | undefined; canUndo: boolean; canRedo: boolean; open: boolean }>;
}

async function api(): Promise<Api> {
  const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed`);
  return ext.activate();
}

/** What another process sees on disk: a fresh store instance over the same folder. */
async function onDisk(root: string, clip: string): Promise<AvuSample | undefined> {
  const store = await AvuStore.open(root, { autoCompactAfter: 0 });
  try {
    return store.get(store.idForClip(clip) ?? recordIdForClip(clip));
  } finally {
    await store.close();
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('The annotator\'s loop (untrusted too)', function () {
  this.timeout(180_000);
  let root: string;
  let clip: vscode.Uri;

  before(() => {
    root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const sample = join(ext.extensionPath, 'samples', 'avu-synth', SAMPLE);
    copyFileSync(sample, join(root, SAMPLE));
    clip = vscode.Uri.file(join(root, SAMPLE));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('contributes Caption Clip on videos, Caption All Clips on folders, the review editor and keys scoped to the panel', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: {
        menus: Record<string, { command: string; when?: string }[]>;
        customEditors: { viewType: string }[];
        keybindings: { command: string; key: string; when: string }[];
      };
    };
    const menu = pkg.contributes.menus['explorer/context']!;
    assert.match(menu.find((m) => m.command === 'avu.captionClip')?.when ?? '', /resourceExtname/);
    assert.match(menu.find((m) => m.command === 'avu.captionAll')?.when ?? '', /explorerResourceIsFolder/);
    assert.ok(pkg.contributes.customEditors.some((e) => e.viewType === 'avu.clipReview'));
    for (const key of ['a', 'r', 'e', 'j', 'k']) {
      const kb = pkg.contributes.keybindings.find((k) => k.key === key);
      assert.ok(kb, `key ${key} is bound`);
      assert.match(kb.when, /activeCustomEditorId == 'avu\.clipReview'/, `${key} only in the review panel`);
      assert.match(kb.when, /!avu\.review\.textInput/, `${key} is off while typing`);
    }
  });

  it('Caption Clip writes a record with Q&A into the dataset store and the status bar names the model', async () => {
    const rec = await vscode.commands.executeCommand<AvuSample | undefined>('avu.captionClip', clip);
    assert.ok(rec, 'Caption Clip returned the record');
    assert.equal(rec.clip, SAMPLE);
    assert.ok(rec.qa.length >= 5, `${rec.qa.length} Q&A items`);
    assert.ok(rec.captions.visual.length > 0, 'a visual caption');
    const disk = await onDisk(root, SAMPLE);
    assert.ok(disk, 'the record is in <workspace>/.avu');
    assert.equal(disk.qa.length, rec.qa.length);
    assert.ok(disk.qa.every((q) => q.status === 'pending' && q.origin === 'model'));
    assert.equal(disk.model.name, 'dolphin-tiny');
    const status = (await api()).statusText();
    assert.match(status, /dolphin-tiny .* on cpu/, status);
    if (process.env.AVU_EXPECT_UNTRUSTED === '1') assert.equal(vscode.workspace.isTrusted, false, 'this pass is untrusted');
  });

  it('accepting an item through the command is in the store before the command returns (untrusted too)', async () => {
    const before = (await onDisk(root, SAMPLE))!;
    const item = before.qa[0]!;
    const after = await vscode.commands.executeCommand<AvuSample | undefined>('avu.review.accept', clip, item.id);
    assert.equal(after?.qa.find((q) => q.id === item.id)?.status, 'accepted');
    const disk = (await onDisk(root, SAMPLE))!;
    assert.equal(disk.qa.find((q) => q.id === item.id)?.status, 'accepted', 'a second store instance sees the accept');
    const rejected = disk.qa[1]!;
    await vscode.commands.executeCommand('avu.review.reject', clip, rejected.id, 'names the wrong shape');
    const disk2 = (await onDisk(root, SAMPLE))!;
    const r = disk2.qa.find((q) => q.id === rejected.id)!;
    assert.equal(r.status, 'rejected');
    assert.equal(r.reason, 'names the wrong shape');
  });

  it('Undo in the panel undoes the last review action, and the store records the undo', async () => {
    const disk = (await onDisk(root, SAMPLE))!;
    const rejected = disk.qa[1]!;
    assert.equal(rejected.status, 'rejected');
    await vscode.commands.executeCommand('vscode.openWith', clip, 'avu.clipReview');
    await vscode.commands.executeCommand('undo');
    const undone = await until('the undo in the store', async () => {
      const r = await onDisk(root, SAMPLE);
      return r?.qa.find((q) => q.id === rejected.id)?.status === 'pending' ? r : undefined;
    });
    assert.equal(undone.qa[0]!.status, 'accepted', 'only the last action was undone');
    assert.equal(undone.history.at(-1)?.action, 'undo');
    await vscode.commands.executeCommand('redo');
    await until('the redo in the store', async () => {
      const r = await onDisk(root, SAMPLE);
      return r?.qa.find((q) => q.id === rejected.id)?.status === 'rejected' ? r : undefined;
    });
  });

  it('closing and reopening the clip shows the store\'s state, and the tab is not left dirty', async () => {
    // Every action is in the store already: the review tab must not claim unsaved changes.
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs);
    assert.ok(tabs.some((t) => t.input instanceof vscode.TabInputCustom && t.input.viewType === 'avu.clipReview'), 'the review tab is open');
    const dirty = await until('a clean review tab', async () => (vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.isDirty) ? undefined : true), 5000).catch(() => false);
    assert.equal(dirty, true, 'no review tab is left dirty after review actions');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('vscode.openWith', clip, 'avu.clipReview');
    const state = await (await api()).reviewState(clip);
    assert.equal(state.open, true);
    const disk = (await onDisk(root, SAMPLE))!;
    assert.deepEqual(state.record?.qa.map((q) => [q.id, q.status]), disk.qa.map((q) => [q.id, q.status]));
    assert.equal(state.record?.qa[0]?.status, 'accepted');
    assert.equal(state.record?.qa[1]?.status, 'rejected');
    assert.equal(state.canUndo, true);
  });

  it('the panel caches frames under .avu/cache and the H.264 + MP3 preview', async () => {
    const framesDir = join(root, '.avu', 'cache', 'frames', recordIdForClip(SAMPLE));
    await until('8 frame PNGs', async () => (existsSync(framesDir) && readdirSync(framesDir).filter((f) => f.endsWith('.png')).length === 8 ? true : undefined), 60_000);
    const previewDir = join(root, '.avu', 'cache', 'preview');
    await until('the preview MP4', async () => (existsSync(previewDir) && readdirSync(previewDir).some((f) => /^[0-9a-f]{32}\.mp4$/.test(f)) ? true : undefined), 60_000);
  });
});
