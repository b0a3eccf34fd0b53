// The Dolphin model of this window: loaded on first use from the settings (bundle, device), reloaded when they
// change, shared by every panel and Caption All. One generation runs at a time (a queue), so a panel's
// caption and a batch never fight over the sessions. The status bar says which model, where, and progress.
import * as vscode from 'vscode';
import { extractFeatures } from '../media/features';
import { DolphinModel } from '../inference/model';
import { defaultModelDir } from '../inference/paths';
import { DolphinPipeline } from '../inference/pipeline';
import type { ClipFeatures } from '../media/features';
import { readMediaToolSetting, readModelSetting } from './settings';

export interface LoadedModel {
  model: DolphinModel;
  pipeline: DolphinPipeline;
  /** "dolphin-tiny 1.0.0 on cpu" */
  label: string;
}

export class ModelService implements vscode.Disposable {
  private loaded: { key: string; p: Promise<LoadedModel> } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly status: vscode.StatusBarItem;
  private progress: string | undefined;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.status = vscode.window.createStatusBarItem('avu.model', vscode.StatusBarAlignment.Left, 50);
    this.status.name = 'AVU Studio model';
    this.status.command = 'avu.showModel';
    this.subs.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('avu.model') || e.affectsConfiguration('avu.inference')) this.unload();
      }),
    );
    this.render();
    this.status.show();
  }

  /** The features extractor with this window's ffmpeg (avu.ffmpegPath is ignored in an untrusted workspace). */
  readonly features = (clip: string, opts: { signal?: AbortSignal }): Promise<ClipFeatures> =>
    extractFeatures(clip, { ...opts, ffmpegPath: this.ffmpegPath() });

  ffmpegPath(): string | undefined {
    return readMediaToolSetting(vscode.workspace.getConfiguration('avu'), vscode.workspace.isTrusted).ffmpegPath;
  }

  private settingKey(): { key: string; dir: string; device: ReturnType<typeof readModelSetting>['device'] } {
    const s = readModelSetting(vscode.workspace.getConfiguration('avu'), vscode.workspace.isTrusted);
    if (s.ignoredBecauseUntrusted) this.log.warn('avu.model.bundle is set but ignored because this workspace is not trusted; using the shipped model.');
    const dir = s.bundle ?? defaultModelDir();
    return { key: `${dir}\n${s.device}`, dir, device: s.device };
  }

  get(): Promise<LoadedModel> {
    const { key, dir, device } = this.settingKey();
    if (this.loaded?.key === key) return this.loaded.p;
    this.unload();
    const p = (async (): Promise<LoadedModel> => {
      const t0 = performance.now();
      const model = await DolphinModel.load(dir, { device });
      const label = `${model.manifest.name} ${model.manifest.version} on ${model.provider}`;
      this.log.info(`Loaded ${label} from ${dir} in ${Math.round(performance.now() - t0)} ms (${model.providerNotes.join('; ')})`);
      return { model, pipeline: new DolphinPipeline(model, this.features), label };
    })();
    this.loaded = { key, p };
    p.then(
      () => this.render(),
      () => {
        if (this.loaded?.p === p) this.loaded = undefined;
        this.render();
      },
    );
    return p;
  }

  /** Runs `fn` when the model is free (one generation at a time). */
  exclusive<T>(fn: (m: LoadedModel) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => fn(await this.get()));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Progress shown in the status bar ("captioning 3/25"), or undefined to clear it. */
  setProgress(text: string | undefined): void {
    this.progress = text;
    this.render();
  }

  private label: string | undefined;
  private render(): void {
    void this.loaded?.p.then((m) => {
      this.label = m.label;
      this.paint();
    }, () => undefined);
    if (!this.loaded) this.label = undefined;
    this.paint();
  }

  private paint(): void {
    const model = this.label ?? 'Dolphin (not loaded)';
    this.status.text = `$(hubot) ${model}${this.progress ? ` · ${this.progress}` : ''}`;
    this.status.tooltip = `AVU Studio: ${model}${this.progress ? `, ${this.progress}` : ''}. Bundle: avu.model.bundle, device: avu.inference.device.`;
  }

  /** The label of the model in use once it has loaded, else undefined. */
  get loadedLabel(): string | undefined {
    return this.label;
  }

  /** What the status bar shows (for tests and the Show Model command). */
  get statusText(): string {
    return this.status.text;
  }

  private unload(): void {
    const old = this.loaded;
    this.loaded = undefined;
    // Wait for whatever runs on the old model, then release its sessions.
    if (old) void this.queue.then(() => old.p).then((m) => m.model.dispose(), () => undefined);
    this.render();
  }

  dispose(): void {
    this.unload();
    for (const s of this.subs.splice(0)) s.dispose();
    this.status.dispose();
  }
}
