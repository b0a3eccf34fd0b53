// AVU: Show Media Tools and AVU: Probe Clip. Glue only: read settings, call the media core, show the result.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import { UsageError } from '../core/errors';
import { Disposable } from './disposable';
import { registerSafeCommand } from './commands';
import { describeClip, describeTools } from './format';
import { probeMedia, type MediaInfo } from '../media/probe';
import { describeMediaTools, type MediaTools, type ToolOptions } from '../media/tools';
import { readMediaToolSetting } from './settings';

export const VIDEO_EXTENSIONS = ['mp4', 'mov', 'mkv', 'webm', 'avi', 'm4v'];

export class MediaCommands extends Disposable {
  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    this.register(registerSafeCommand('avu.showMediaTools', log, () => this.showMediaTools()));
    this.register(registerSafeCommand('avu.probeClip', log, (uri?: vscode.Uri) => this.probeClip(uri)));
  }

  private mediaOptions(signal?: AbortSignal): ToolOptions & { ignoredSetting: boolean } {
    const setting = readMediaToolSetting(vscode.workspace.getConfiguration('avu'), vscode.workspace.isTrusted);
    if (setting.ignoredBecauseUntrusted) {
      this.log.warn('avu.ffmpegPath is set but ignored because this workspace is not trusted.');
    }
    return { ffmpegPath: setting.ffmpegPath, signal, ignoredSetting: setting.ignoredBecauseUntrusted };
  }

  async showMediaTools(): Promise<MediaTools> {
    const opts = this.mediaOptions();
    const tools = await describeMediaTools(opts);
    const note = opts.ignoredSetting ? ' (avu.ffmpegPath is ignored until you trust this workspace)' : '';
    const line = `${describeTools(tools)}${note}`;
    this.log.info(`Media tools: ${line}`);
    void vscode.window.showInformationMessage(line);
    return tools;
  }

  async probeClip(uri: vscode.Uri | undefined): Promise<MediaInfo | undefined> {
    const target = uri ?? (await this.pickClip());
    if (!target) return undefined;
    if (target.scheme !== 'file') {
      throw new UsageError('not-a-local-file', `AVU can only probe files on this machine, not '${target.toString()}'.`);
    }
    const info = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Probing ${basename(target.fsPath)}`, cancellable: true },
      (_progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort(new Error('cancelled by the user')));
        return probeMedia(target.fsPath, this.mediaOptions(abort.signal)).finally(() => sub.dispose());
      },
    );
    const line = describeClip(basename(target.fsPath), info);
    this.log.info(`${line}\n${JSON.stringify(info, null, 2)}`);
    void vscode.window.showInformationMessage(line);
    return info;
  }

  private async pickClip(): Promise<vscode.Uri | undefined> {
    // From the palette: the video open in the active tab (a binary or custom editor, not a text editor), else ask.
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    const active = input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom ? input.uri : undefined;
    if (active && VIDEO_EXTENSIONS.some((e) => active.path.toLowerCase().endsWith(`.${e}`))) return active;
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel: 'Probe',
      filters: { Videos: VIDEO_EXTENSIONS },
    });
    return picked?.[0];
  }
}
