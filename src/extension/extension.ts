// Composition root of the extension host side: creates the parts and hands their ownership to VS Code.
import * as vscode from 'vscode';
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

/** What activate returns: for tests and other extensions (the status bar text, the open stores). */
export interface AvuApi {
  statusText(): string;
}

export function activate(context: vscode.ExtensionContext): AvuApi {
  const ext = new AvuExtension(context);
  context.subscriptions.push(ext);
  return { statusText: () => ext.models.statusText };
}

export function deactivate(): void {}
