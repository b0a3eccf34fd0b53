// The "AVU Clip Review" custom editor for video files: the host half of the review panel. Glue only: it serves
// the webview (nonce-only CSP, resources from the extension and the dataset's .avu/cache only), checks every
// message against src/protocol before use, and routes it to the clip's ClipDocument. Review actions land on
// VS Code's undo stack as custom-document edits; the store already has them, so "save" has nothing to write.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { copyFile } from 'node:fs/promises';
import { describeError } from '../core/errors';
import { checkFromWebview, type FromWebview, type PanelCommand, type ToWebview } from '../protocol/messages';
import { ClipDocument, type ClipDocumentHost, type ClipEdit } from './clip-document';
import type { DatasetRegistry } from './dataset-registry';
import type { ModelService } from './model-service';

export const REVIEW_VIEW_TYPE = 'avu.clipReview';

interface Panel {
  doc: ClipDocument;
  webview: vscode.WebviewPanel;
  post(msg: ToWebview): void;
}

export function reviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, nonce: string, title: string): string {
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'review.css'));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource}`,
    `media-src ${webview.cspSource}`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}" nonce="${nonce}">
<title>${esc(title)}</title>
</head>
<body>
<div id="app" aria-live="polite"></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}

export class ReviewEditorProvider implements vscode.CustomEditorProvider<ClipDocument>, ClipDocumentHost {
  private readonly edits = new vscode.EventEmitter<vscode.CustomDocumentEditEvent<ClipDocument>>();
  readonly onDidChangeCustomDocument = this.edits.event;
  private readonly panels = new Set<Panel>();
  private active: Panel | undefined;
  private readonly docs = new Map<string, ClipDocument>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    readonly registry: DatasetRegistry,
    readonly models: ModelService,
    readonly log: vscode.LogOutputChannel,
  ) {}

  static register(provider: ReviewEditorProvider): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(REVIEW_VIEW_TYPE, provider, {
      webviewOptions: { retainContextWhenHidden: true },
      supportsMultipleEditorsPerDocument: true,
    });
  }

  onEdit(doc: ClipDocument, edit: ClipEdit): void {
    this.edits.fire({ document: doc, label: edit.label, undo: edit.undo, redo: edit.redo });
    // The store holds the action already: saving only clears the dirty marker that an edit event sets.
    void Promise.resolve(vscode.workspace.save(doc.uri)).catch(() => undefined);
  }

  onDisposed(doc: ClipDocument): void {
    if (this.docs.get(doc.uri.toString()) === doc) this.docs.delete(doc.uri.toString());
  }

  /** The open document of a clip, if any. */
  documentFor(uri: vscode.Uri): ClipDocument | undefined {
    return this.docs.get(uri.toString());
  }

  /** The clip of the review panel that has focus (or was last active). */
  get activeDocument(): ClipDocument | undefined {
    return this.active?.doc;
  }

  /** Forwards a keybinding command to the active panel; false when no review panel is active. */
  forward(command: PanelCommand): boolean {
    if (!this.active) return false;
    this.active.post({ type: 'command', command });
    return true;
  }

  openCustomDocument(uri: vscode.Uri): ClipDocument {
    const doc = new ClipDocument(uri, this);
    this.docs.set(uri.toString(), doc);
    return doc;
  }

  async resolveCustomEditor(doc: ClipDocument, webviewPanel: vscode.WebviewPanel): Promise<void> {
    const webview = webviewPanel.webview;
    webview.options = {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(this.extensionUri, 'dist'),
        vscode.Uri.joinPath(this.extensionUri, 'media'),
        vscode.Uri.file(doc.cacheDir),
      ],
    };
    const nonce = randomBytes(18).toString('base64url');
    webview.html = reviewHtml(webview, this.extensionUri, nonce, doc.loc.rel);
    const panel: Panel = {
      doc,
      webview: webviewPanel,
      post: (msg) => void webview.postMessage(msg).then(undefined, () => undefined),
    };
    this.panels.add(panel);
    const detach = doc.attach(panel.post);
    const asUri = (file: string): string => webview.asWebviewUri(vscode.Uri.file(file)).toString();
    const subs: vscode.Disposable[] = [
      webview.onDidReceiveMessage((raw: unknown) => {
        const checked = checkFromWebview(raw);
        if (!checked.ok) {
          this.log.warn(`Review panel of ${doc.loc.rel}: dropped a message (${checked.error}).`);
          return;
        }
        void this.handle(panel, checked.message, asUri);
      }),
      webviewPanel.onDidChangeViewState((e) => {
        if (e.webviewPanel.active) this.active = panel;
        else if (this.active === panel) this.active = undefined;
      }),
      this.registry.onDidChange((root) => {
        if (root === doc.loc.root) void doc.postRecord(panel.post).catch(() => undefined);
      }),
    ];
    if (webviewPanel.active) this.active = panel;
    webviewPanel.onDidDispose(() => {
      detach();
      for (const s of subs) s.dispose();
      this.panels.delete(panel);
      if (this.active === panel) this.active = undefined;
      void vscode.commands.executeCommand('setContext', 'avu.review.textInput', false);
    });
  }

  private async handle(panel: Panel, msg: FromWebview, asUri: (file: string) => string): Promise<void> {
    const { doc } = panel;
    const reply = async (requestId: number, fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
        panel.post({ type: 'reply', requestId, ok: true });
      } catch (err) {
        this.log.error(`Review of ${doc.loc.rel}: ${describeError(err)}`);
        panel.post({ type: 'reply', requestId, ok: false, error: describeError(err) });
      }
    };
    switch (msg.type) {
      case 'ready': {
        // The panel draws at once; the model's name follows when it has loaded (a cold load takes seconds).
        const init = { type: 'init', clip: doc.loc.rel, clipName: doc.loc.rel.split('/').pop() ?? doc.loc.rel, recordId: await doc.recordId() } as const;
        panel.post({ ...init, modelLabel: this.models.loadedLabel ?? 'loading the model…' });
        if (!this.models.loadedLabel) void this.modelLabel().then((modelLabel) => panel.post({ ...init, modelLabel }));
        await doc.sendState(panel.post, asUri).catch((err: unknown) => this.log.error(`${doc.loc.rel}: ${describeError(err)}`));
        return;
      }
      case 'review':
        return reply(msg.requestId, () => doc.review(msg.qaId, msg.action, msg.action === 'edit' ? msg.answer : msg.reason));
      case 'acceptGroup':
        return reply(msg.requestId, () => doc.acceptGroup(msg.subset));
      case 'editCaption':
        return reply(msg.requestId, () => doc.editCaption(msg.modality, msg.text));
      case 'caption':
        await doc.caption().catch((err: unknown) => this.log.error(`Captioning ${doc.loc.rel}: ${describeError(err)}`));
        return;
      case 'cancel':
        doc.cancelCaption();
        return;
      case 'listen':
        await doc.listen().catch((err: unknown) => this.log.error(`"Does it listen?" on ${doc.loc.rel}: ${describeError(err)}`));
        return;
      case 'textInput':
        await vscode.commands.executeCommand('setContext', 'avu.review.textInput', msg.active);
        return;
    }
  }

  private async modelLabel(): Promise<string> {
    try {
      return (await this.models.get()).label;
    } catch (err) {
      return `model not loaded: ${describeError(err)}`;
    }
  }

  // Everything is in the store the moment it is acknowledged: there is nothing to save, revert or back up.
  saveCustomDocument(): Promise<void> {
    return Promise.resolve();
  }

  async saveCustomDocumentAs(doc: ClipDocument, destination: vscode.Uri): Promise<void> {
    await copyFile(doc.uri.fsPath, destination.fsPath);
  }

  async revertCustomDocument(doc: ClipDocument): Promise<void> {
    await doc.postRecord();
  }

  backupCustomDocument(_doc: ClipDocument, context: vscode.CustomDocumentBackupContext): Promise<vscode.CustomDocumentBackup> {
    return Promise.resolve({ id: context.destination.toString(), delete: () => undefined });
  }

  dispose(): void {
    for (const d of [...this.docs.values()]) d.dispose();
    this.docs.clear();
    this.edits.dispose();
  }
}
