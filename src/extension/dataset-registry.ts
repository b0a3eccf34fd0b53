// One open AvuStore per dataset folder, shared by every panel, the tree and the commands of this window. Each
// store watches .avu/ so another window or the CLI shows up here; listeners hear which dataset changed.
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AvuStore } from '../dataset/store';

export interface ClipLocation {
  /** The dataset folder (holds or will hold .avu/). */
  root: string;
  /** The clip's path relative to the root, forward slashes. */
  rel: string;
}

/**
 * The dataset a clip belongs to: the nearest folder above it that holds `.avu/`, not above its workspace folder;
 * else the workspace folder; outside every workspace folder, the nearest `.avu/` above it or the clip's own folder.
 */
export function locateClip(clipPath: string, workspaceFolders: readonly string[]): ClipLocation {
  const abs = path.resolve(clipPath);
  const ws = workspaceFolders
    .map((f) => path.resolve(f))
    .filter((f) => abs.startsWith(f + path.sep))
    .sort((a, b) => b.length - a.length)[0];
  let dir = path.dirname(abs);
  let found: string | undefined;
  for (;;) {
    if (fs.existsSync(path.join(dir, '.avu'))) {
      found = dir;
      break;
    }
    if (ws !== undefined && dir === ws) break;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  const root = found ?? ws ?? path.dirname(abs);
  return { root, rel: path.relative(root, abs).split(path.sep).join('/') };
}

export class DatasetRegistry implements vscode.Disposable {
  private readonly stores = new Map<string, Promise<AvuStore>>();
  private readonly watchers: Array<{ dispose(): void }> = [];
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with the dataset root after its store changed (this window's actions, other windows, the CLI). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  locate(uri: vscode.Uri): ClipLocation {
    return locateClip(uri.fsPath, (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath));
  }

  store(root: string): Promise<AvuStore> {
    const key = path.resolve(root);
    let p = this.stores.get(key);
    if (!p) {
      p = AvuStore.open(key).then((s) => {
        for (const pr of s.problems) this.log.warn(`${key}: ${pr.kind} ${pr.file}: ${pr.detail} (kept at ${pr.keptAt})`);
        this.watchers.push(
          s.watch((err) => {
            if (err) this.log.warn(`Refreshing the store of ${key} failed: ${String(err)}`);
            this.changed.fire(key);
          }),
        );
        return s;
      });
      p.catch(() => this.stores.delete(key));
      this.stores.set(key, p);
    }
    return p;
  }

  /** The stores opened so far. */
  async openStores(): Promise<AvuStore[]> {
    const out: AvuStore[] = [];
    for (const p of this.stores.values()) {
      try {
        out.push(await p);
      } catch {
        // reported when it failed to open
      }
    }
    return out;
  }

  /** Tell listeners a store changed now (our own actions; the watcher follows later). */
  notify(root: string): void {
    this.changed.fire(path.resolve(root));
  }

  dispose(): void {
    for (const w of this.watchers.splice(0)) w.dispose();
    const all = [...this.stores.values()];
    this.stores.clear();
    // Compacts what this window wrote; the journals already hold every action, so a failure loses nothing.
    for (const p of all) void p.then((s) => s.close()).catch(() => undefined);
    this.changed.dispose();
  }
}
