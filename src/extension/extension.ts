// Composition root of the extension host side: creates the parts and hands their ownership to VS Code.
import * as vscode from 'vscode';
import type { AvuSample } from '../dataset/record';
import { Disposable } from './disposable';
import { MediaCommands } from './media-commands';
import { DatasetRegistry } from './dataset-registry';
import { DatasetTree } from './dataset-tree';
import { ModelService } from './model-service';
import { ReviewCommands } from './review-commands';
import { ReviewEditorProvider } from './review-editor';

class AvuExtension extends Disposable {
  readonly registry: DatasetRegistry;
  readonly models: ModelService;
  readonly editor: ReviewEditorProvider;
  readonly tree: DatasetTree;

  constructor(context: vscode.ExtensionContext) {
    super();
    const log = this.register(vscode.window.createOutputChannel('AVU Studio', { log: true }));
    this.register(new MediaCommands(log));
    this.registry = this.register(new DatasetRegistry(log));
    this.models = this.register(new ModelService(log));
    this.editor = this.register(new ReviewEditorProvider(context.extensionUri, this.registry, this.models, log));
    this.register(ReviewEditorProvider.register(this.editor));
    this.tree = this.register(new DatasetTree(this.registry));
    const view = this.register(vscode.window.createTreeView('avu.dataset', { treeDataProvider: this.tree, showCollapseAll: true }));
    this.tree.view = view;
    this.register(new ReviewCommands(log, this.editor, this.registry, this.models, this.tree));
  }
}

/** What activate returns: for tests and other extensions. */
export interface AvuApi {
  /** The status bar item's text (model, device, progress). */
  statusText(): string;
  /** What the review panel of an open clip draws: the store's record, and whether undo / redo apply. */
  reviewState(uri: vscode.Uri): Promise<{ record: AvuSample | undefined; canUndo: boolean; canRedo: boolean; open: boolean }>;
}

export function activate(context: vscode.ExtensionContext): AvuApi {
  const ext = new AvuExtension(context);
  context.subscriptions.push(ext);
  return {
    statusText: () => ext.models.statusText,
    reviewState: async (uri) => {
      const doc = ext.editor.documentFor(uri);
      const loc = ext.registry.locate(uri);
      const store = await ext.registry.store(loc.root);
      const id = store.idForClip(loc.rel);
      return { record: id ? store.get(id) : undefined, canUndo: !!id && store.canUndo(id), canRedo: !!id && store.canRedo(id), open: !!doc };
    },
  };
}

export function deactivate(): void {}
