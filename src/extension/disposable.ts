import type * as vscode from 'vscode';

/** Owns what it registers: disposing it disposes every listener, command, channel and process it holds. */
export abstract class Disposable implements vscode.Disposable {
  private readonly owned: vscode.Disposable[] = [];
  private disposed = false;

  protected register<T extends vscode.Disposable>(d: T): T {
    if (this.disposed) {
      d.dispose();
    } else {
      this.owned.push(d);
    }
    return d;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Last registered first, so later parts can still use earlier ones while they shut down.
    for (const d of this.owned.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (err) {
        console.error('AVU Studio: dispose failed', err);
      }
    }
  }
}
