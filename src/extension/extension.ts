import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('avu.showMediaTools', () => {
      void vscode.window.showInformationMessage('AVU Studio is active.');
    }),
  );
}

export function deactivate(): void {}
