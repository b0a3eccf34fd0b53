// Composition root of the extension host side: creates the parts and hands their ownership to VS Code.
import * as vscode from 'vscode';
import { Disposable } from './disposable';
import { MediaCommands } from './media-commands';

class AvuExtension extends Disposable {
  constructor() {
    super();
    const log = this.register(vscode.window.createOutputChannel('AVU Studio', { log: true }));
    this.register(new MediaCommands(log));
  }
}

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(new AvuExtension());
}

export function deactivate(): void {}
