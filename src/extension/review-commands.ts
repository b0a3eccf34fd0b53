// The AVU commands of the annotator's loop: Caption Clip, Caption All Clips, the review keys (accept, reject,
// edit, next, previous, accept group, help), Does it listen?, Apply Rules, the tree's filter and reveal.
// Glue only: each resolves its clip, then calls a ClipDocument, the store or the pipeline.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { UsageError, describeError, CancelledError } from '../core/errors';
import type { AvuSample, Subset } from '../dataset/record';
import type { ReviewAction } from '../dataset/ops';
import { applyRules, type RulesReport } from '../dataset/rules';
import { DEFAULT_THRESHOLDS } from '../dataset/consistency';
import { DEFAULT_DROP_FRACTION } from '../dataset/filtering';
import { listClips } from '../inference/clips';
import type { PanelCommand } from '../protocol/messages';
import { registerSafeCommand } from './commands';
import { Disposable } from './disposable';
import type { DatasetRegistry } from './dataset-registry';
import type { DatasetTree } from './dataset-tree';
import { VIDEO_EXTENSIONS } from './media-commands';
import type { ModelService } from './model-service';
import { REVIEW_VIEW_TYPE, type ReviewEditorProvider } from './review-editor';
import { readRulesSetting } from './settings';
import type { ClipDocument } from './clip-document';

export interface CaptionAllResult {
  root: string;
  captioned: number;
  failed: Array<{ clip: string; message: string }>;
  cancelled: boolean;
}

const KEY_COMMANDS: Array<[string, PanelCommand]> = [
  ['avu.review.next', 'next'],
  ['avu.review.previous', 'previous'],
  ['avu.review.acceptGroup', 'acceptGroup'],
  ['avu.review.help', 'help'],
];

export class ReviewCommands extends Disposable {
  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly editor: ReviewEditorProvider,
    private readonly registry: DatasetRegistry,
    private readonly models: ModelService,
    private readonly tree: DatasetTree,
  ) {
    super();
    const cmd = <A extends unknown[], R>(id: string, fn: (...args: A) => Promise<R>): void => {
      this.register(registerSafeCommand(id, log, fn));
    };
    cmd('avu.captionClip', (uri?: vscode.Uri) => this.captionClip(uri));
    cmd('avu.captionAll', (uri?: vscode.Uri, opts?: { onlyNew?: boolean }) => this.captionAll(uri, opts));
    cmd('avu.openReview', async (uri?: vscode.Uri) => {
      const target = uri ?? (await this.pickClip('Review'));
      if (target) await vscode.commands.executeCommand('vscode.openWith', target, REVIEW_VIEW_TYPE);
    });
    // With a clip and an item (scripts, tests, other extensions) they act on it; from a key, on the panel's focus.
    for (const action of ['accept', 'reject', 'edit'] as const) {
      cmd(`avu.review.${action}`, (uri?: vscode.Uri, qaId?: string, text?: string) => this.reviewCommand(action, uri, qaId, text));
    }
    cmd('avu.review.reset', (uri?: vscode.Uri, qaId?: string) => this.reviewCommand('reset', uri, qaId));
    for (const [id, command] of KEY_COMMANDS) {
      cmd(id, async () => {
        if (!this.editor.forward(command)) void vscode.window.showInformationMessage('Open a clip in AVU Clip Review first (right-click a video → AVU: Caption Clip).');
      });
    }
    cmd('avu.listen', async (uri?: vscode.Uri) => (await this.docFor(uri)).listen());
    cmd('avu.applyRules', (uri?: vscode.Uri) => this.applyRules(uri));
    cmd('avu.showModel', async () => {
      const m = await this.models.get();
      void vscode.window.showInformationMessage(`AVU Studio captions with ${m.label}. Change it with the avu.model.bundle and avu.inference.device settings.`);
      return m.label;
    });
    cmd('avu.dataset.filter', async (text?: string) => {
      const value = text ?? (await vscode.window.showInputBox({ prompt: 'Show clips whose path contains (empty: all clips)', value: this.tree.filterText }));
      if (value !== undefined) this.tree.setFilter(value);
      return this.tree.filterText;
    });
    cmd('avu.dataset.refresh', async () => this.tree.refresh(true));
    cmd('avu.dataset.reveal', async (node?: { row?: { rel: string }; root?: string } | vscode.Uri) => {
      const uri = node instanceof vscode.Uri ? node : node?.row && node.root ? vscode.Uri.file(path.join(node.root, ...node.row.rel.split('/'))) : undefined;
      if (uri) await vscode.commands.executeCommand('revealInExplorer', uri);
    });
  }

  private async pickClip(label: string): Promise<vscode.Uri | undefined> {
    const active = this.editor.activeDocument?.uri;
    if (active) return active;
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: label, filters: { Videos: VIDEO_EXTENSIONS } });
    return picked?.[0];
  }

  /** The open document of a clip, opening its review panel first when needed. */
  private async docFor(uri: vscode.Uri | undefined): Promise<ClipDocument> {
    if (!uri) {
      const d = this.editor.activeDocument;
      if (!d) throw new UsageError('no-clip', 'Open a clip in AVU Clip Review first (right-click a video → AVU: Caption Clip).');
      return d;
    }
    if (uri.scheme !== 'file') throw new UsageError('not-a-local-file', `AVU can only caption files on this machine, not '${uri.toString()}'.`);
    let doc = this.editor.documentFor(uri);
    if (!doc) {
      await vscode.commands.executeCommand('vscode.openWith', uri, REVIEW_VIEW_TYPE);
      doc = this.editor.documentFor(uri);
    }
    if (!doc) throw new UsageError('no-panel', `The review panel of ${path.basename(uri.fsPath)} did not open.`);
    return doc;
  }

  async captionClip(uri: vscode.Uri | undefined): Promise<AvuSample | undefined> {
    const target = uri ?? (await this.pickClip('Caption'));
    if (!target) return undefined;
    const doc = await this.docFor(target);
    this.models.setProgress(`captioning ${path.basename(target.fsPath)}`);
    try {
      return await doc.caption();
    } finally {
      this.models.setProgress(undefined);
    }
  }

  private async reviewCommand(action: ReviewAction, uri?: vscode.Uri, qaId?: string, text?: string): Promise<AvuSample | undefined> {
    if (uri === undefined && qaId === undefined) {
      if (action === 'reset') throw new UsageError('no-qa', 'Reset needs a clip and a Q&A item; in the panel, Ctrl+Z undoes the last review action.');
      if (!this.editor.forward(action)) {
        void vscode.window.showInformationMessage('Open a clip in AVU Clip Review first (right-click a video → AVU: Caption Clip).');
      }
      return undefined;
    }
    if (!qaId) throw new UsageError('no-qa', `avu.review.${action} needs a Q&A item id.`);
    const doc = await this.docFor(uri);
    return doc.review(qaId, action, text);
  }

  async captionAll(uri: vscode.Uri | undefined, opts: { onlyNew?: boolean } = {}): Promise<CaptionAllResult | undefined> {
    const folder = uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!folder) throw new UsageError('no-folder', 'Open a folder of clips first (File → Open Folder).');
    if (folder.scheme !== 'file') throw new UsageError('not-a-local-file', `AVU can only caption files on this machine, not '${folder.toString()}'.`);
    const root = this.registry.locate(vscode.Uri.joinPath(folder, '__avu_probe__.mp4')).root;
    const store = await this.registry.store(root);
    const all = (await listClips(folder.fsPath)).map((rel) => path.join(folder.fsPath, ...rel.split('/')));
    const relOf = (abs: string): string => path.relative(root, abs).split(path.sep).join('/');
    const fresh = all.filter((abs) => store.idForClip(relOf(abs)) === undefined);
    let onlyNew = opts.onlyNew;
    if (onlyNew === undefined && fresh.length < all.length && fresh.length > 0) {
      const pick = await vscode.window.showQuickPick(
        [
          { label: `Only the ${fresh.length} new clips`, onlyNew: true },
          { label: `All ${all.length} clips`, description: 'reviewed items are kept; pending ones are replaced', onlyNew: false },
        ],
        { title: 'Caption All Clips' },
      );
      if (!pick) return undefined;
      onlyNew = pick.onlyNew;
    }
    if (onlyNew === undefined && fresh.length === 0 && all.length > 0) {
      const again = await vscode.window.showInformationMessage(
        `All ${all.length} clips have records. Re-caption them? Reviewed items are kept; pending ones are replaced.`,
        { modal: true },
        'Re-caption',
      );
      if (again !== 'Re-caption') return undefined;
      onlyNew = false;
    }
    const clips = onlyNew === false ? all : fresh;
    const result: CaptionAllResult = { root, captioned: 0, failed: [], cancelled: false };
    if (clips.length === 0) {
      void vscode.window.showInformationMessage(`No video clips in ${folder.fsPath}.`);
      return result;
    }
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `AVU: captioning ${clips.length} clips`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort(new Error('cancelled by the user')));
        try {
          await this.models.exclusive(async (m) => {
            let k = 0;
            for await (const r of m.pipeline.annotateMany(clips, clips.map(relOf), { signal: abort.signal })) {
              k++;
              if (r.ok) {
                const rec = r.annotation.record;
                rec.id = store.idForClip(rec.clip) ?? rec.id;
                store.put(rec);
                result.captioned++;
                this.registry.notify(root);
              } else {
                result.failed.push({ clip: r.clip, message: describeError(r.error) });
                this.log.warn(`Caption All: ${r.clip}: ${describeError(r.error)}`);
              }
              progress.report({ increment: 100 / clips.length, message: `${k}/${clips.length} ${r.clip}` });
              this.models.setProgress(`captioning ${k}/${clips.length}`);
            }
          });
        } catch (err) {
          if (!(err instanceof CancelledError) && !abort.signal.aborted) throw err;
          result.cancelled = true;
        } finally {
          sub.dispose();
          this.models.setProgress(undefined);
        }
      },
    );
    const head = `Captioned ${result.captioned} of ${clips.length} clips${result.cancelled ? ' before you cancelled' : ''}`;
    if (result.failed.length) {
      const list = result.failed.map((f) => `${f.clip} (${f.message})`).join('; ');
      void vscode.window.showWarningMessage(`${head}; ${result.failed.length} failed: ${list}`);
    } else {
      void vscode.window.showInformationMessage(`${head}.`);
    }
    return result;
  }

  async applyRules(uri: vscode.Uri | undefined): Promise<RulesReport | undefined> {
    const folder = uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!folder) throw new UsageError('no-folder', 'Open a folder of clips first (File → Open Folder).');
    const root = this.registry.locate(vscode.Uri.joinPath(folder, '__avu_probe__.mp4')).root;
    const store = await this.registry.store(root);
    const rules = readRulesSetting(vscode.workspace.getConfiguration('avu'), { thresholds: DEFAULT_THRESHOLDS, dropFraction: DEFAULT_DROP_FRACTION });
    const report = await applyRules(store, { thresholds: rules.thresholds, dropFraction: rules.dropFraction });
    this.registry.notify(root);
    const subsets = (Object.entries(report.subsets) as Array<[Subset, number]>).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`).join(', ');
    void vscode.window.showInformationMessage(`Rules: ${report.total} clips (${subsets || 'none'}); kept ${report.kept}, dropped ${report.dropped}.`);
    return report;
  }
}
