// AVU: Show Media Tools and AVU: Probe Clip. Glue only: read settings, call the media core, show the result.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import { UsageError } from '../core/errors';
import { Disposable } from './disposable';
import { registerSafeCommand } from './commands';
import { describeClip, describeTools } from './format';
import { describeMediaTools, probeClip, type ClipInfo, type MediaTools, type MediaOptions } from './media-bridge';
import { readMediaToolSetting } from './settings';

export const VIDEO_EXTENSIONS = ['mp4', 'mov', 'mkv', 'webm', 'avi', 'm4v'];

export class MediaCommands extends Disposable {
  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    this.register(registerSafeCommand('avu.showMediaTools', log, () => this.showMediaTools()));
    this.register(registerSafeCommand('avu.probeClip', log, (uri?: vscode.Uri) => this.probeClip(uri)));
  }

  private mediaOptions(signal?: AbortSignal): MediaOptions {
    const setting = readMediaToolSetting(vscode.workspace.getConfiguration('avu'), vscode.workspace.isTrusted);
    if (setting.ignoredBecauseUntrusted) {
      this.log.warn('avu.ffmpegPath is set but ignored because this workspace is not trusted.');
    }
    return { ffmpegPath: setting.ffmpegPath, signal };
  }

  async showMediaTools(): Promise<MediaTools> {
    const tools = await describeMediaTools(this.mediaOptions());
    const line = describeTools(tools);
    this.log.info(`Media tools: ${line}`);
    void vscode.window.showInformationMessage(line);
    return tools;
  }

  async probeClip(uri: vscode.Uri | undefined): Promise<ClipInfo | undefined> {
    const target = uri ?? (await this.pickClip());
    if (!target) return undefined;
    if (target.scheme !== 'file') {
      throw new UsageError('not-a-local-file', `AVU can only probe files on this machine, not '${target.toString()}'.`);
    }
    const info = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Probing ${basename(target.fsPath)}`, cancellable: false },
      () => probeClip(target.fsPath, this.mediaOptions()),
    );
    const line = describeClip(basename(target.fsPath), info);
    this.log.info(`${line}\n${JSON.stringify(info, null, 2)}`);
    void vscode.window.showInformationMessage(line);
    return info;
  }

  private async pickClip(): Promise<vscode.Uri | undefined> {
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active && VIDEO_EXTENSIONS.some((e) => active.path.toLowerCase().endsWith(`.${e}`))) return active;
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel: 'Probe',
      filters: { Videos: VIDEO_EXTENSIONS },
    });
    return picked?.[0];
  }
}
