// The AVU view's dataset tree: per workspace folder, its clips by status (new, captioned, in review, reviewed)
// and by subset, with counts, a name filter and "Reveal in Explorer". Buckets are computed from the store's
// summaries (cheap, in memory) and the folder's clip list; clips load only when a bucket is expanded.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { listClips } from '../inference/clips';
import { SUBSETS, type Subset } from '../dataset/record';
import type { RecordSummary } from '../dataset/summary';
import type { DatasetRegistry } from './dataset-registry';

export const CLIP_STATUSES = ['new', 'captioned', 'in review', 'reviewed'] as const;
export type ClipStatus = (typeof CLIP_STATUSES)[number];

/** Where a clip stands: no record; a record nobody reviewed; some items reviewed; nothing left pending. */
export function clipStatus(s: RecordSummary | undefined): ClipStatus {
  if (!s) return 'new';
  const reviewed = s.qa.total - s.qa.pending;
  if (s.qa.pending === 0) return 'reviewed';
  return reviewed === 0 ? 'captioned' : 'in review';
}

export interface ClipRow {
  rel: string;
  status: ClipStatus;
  summary: RecordSummary | undefined;
}

/** The rows of a dataset: every clip file and every record (a record whose clip is gone still shows). */
export function datasetRows(clips: readonly string[], summaries: readonly RecordSummary[]): ClipRow[] {
  const byClip = new Map(summaries.map((s) => [s.clip, s]));
  const rows: ClipRow[] = clips.map((rel) => ({ rel, status: clipStatus(byClip.get(rel)), summary: byClip.get(rel) }));
  const files = new Set(clips);
  for (const s of summaries) if (!files.has(s.clip)) rows.push({ rel: s.clip, status: clipStatus(s), summary: s });
  return rows.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

type Node =
  | { kind: 'dataset'; root: string; label: string }
  | { kind: 'group'; root: string; by: 'status' | 'subset' }
  | { kind: 'bucket'; root: string; by: 'status' | 'subset'; value: string; rows: ClipRow[] }
  | { kind: 'clip'; root: string; row: ClipRow };

export class DatasetTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private filter = '';
  private readonly clipCache = new Map<string, Promise<string[]>>();
  private readonly subs: vscode.Disposable[] = [];
  view: vscode.TreeView<Node> | undefined;

  constructor(private readonly registry: DatasetRegistry) {
    this.subs.push(registry.onDidChange(() => this.refresh(false)));
    const files = vscode.workspace.createFileSystemWatcher('**/*.{mp4,mov,mkv,webm,avi,m4v,MP4,MOV,MKV,WEBM,AVI,M4V}', false, true, false);
    this.subs.push(files, files.onDidCreate(() => this.refresh(true)), files.onDidDelete(() => this.refresh(true)));
    this.subs.push(vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh(true)));
  }

  refresh(rescanFiles: boolean): void {
    if (rescanFiles) this.clipCache.clear();
    this.changed.fire(undefined);
  }

  get filterText(): string {
    return this.filter;
  }

  setFilter(text: string): void {
    this.filter = text.trim().toLowerCase();
    if (this.view) this.view.message = this.filter ? `Showing clips whose path contains "${text.trim()}".` : undefined;
    this.refresh(false);
  }

  private clips(root: string): Promise<string[]> {
    let p = this.clipCache.get(root);
    if (!p) {
      p = listClips(root).catch(() => []);
      this.clipCache.set(root, p);
    }
    return p;
  }

  /** Every row of a dataset, with the filter applied. */
  async rows(root: string): Promise<ClipRow[]> {
    const store = await this.registry.store(root);
    const rows = datasetRows(await this.clips(root), store.summaries());
    return this.filter ? rows.filter((r) => r.rel.toLowerCase().includes(this.filter)) : rows;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) {
      const folders = vscode.workspace.workspaceFolders ?? [];
      if (folders.length === 1) return this.getChildren({ kind: 'dataset', root: folders[0]!.uri.fsPath, label: folders[0]!.name });
      return folders.map((f) => ({ kind: 'dataset', root: f.uri.fsPath, label: f.name }));
    }
    if (node.kind === 'dataset') return [{ kind: 'group', root: node.root, by: 'status' }, { kind: 'group', root: node.root, by: 'subset' }];
    if (node.kind === 'group') {
      const rows = await this.rows(node.root);
      if (node.by === 'status') return CLIP_STATUSES.map((s) => ({ kind: 'bucket', root: node.root, by: 'status', value: s, rows: rows.filter((r) => r.status === s) }));
      return (SUBSETS as readonly Subset[]).map((s) => ({ kind: 'bucket', root: node.root, by: 'subset', value: s, rows: rows.filter((r) => r.summary?.subset === s) }));
    }
    if (node.kind === 'bucket') return node.rows.map((row) => ({ kind: 'clip', root: node.root, row }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'dataset': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon('database');
        return item;
      }
      case 'group': {
        const item = new vscode.TreeItem(node.by === 'status' ? 'By status' : 'By subset', vscode.TreeItemCollapsibleState.Expanded);
        item.id = `${node.root}#${node.by}`;
        return item;
      }
      case 'bucket': {
        const item = new vscode.TreeItem(node.value, node.rows.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.description = String(node.rows.length);
        item.id = `${node.root}#${node.by}#${node.value}`;
        item.contextValue = `avu.bucket.${node.by}`;
        item.accessibilityInformation = { label: `${node.value}: ${node.rows.length} clips` };
        return item;
      }
      case 'clip': {
        const uri = vscode.Uri.file(path.join(node.root, ...node.row.rel.split('/')));
        const item = new vscode.TreeItem(node.row.rel, vscode.TreeItemCollapsibleState.None);
        const s = node.row.summary;
        item.resourceUri = uri;
        item.description = s ? `${s.subset} · ${s.qa.accepted} accepted, ${s.qa.rejected} rejected, ${s.qa.pending} pending` : 'new';
        item.tooltip = s ? `${node.row.rel}\n${node.row.status}; subset ${s.subset}; ${s.qa.total} Q&A (${s.qa.edited} edited)${s.kept ? '' : '; dropped by the filter'}` : `${node.row.rel}\nnot captioned yet`;
        item.contextValue = 'avu.clip';
        item.command = { command: 'vscode.openWith', title: 'Open in AVU Clip Review', arguments: [uri, 'avu.clipReview'] };
        return item;
      }
    }
  }

  dispose(): void {
    for (const s of this.subs.splice(0)) s.dispose();
    this.changed.dispose();
  }
}
