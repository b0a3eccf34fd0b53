// One clip open for review: where its record lives, its features (shown first, reused by the caption), the
// caption run (streamed to every panel of the clip, cancellable) and the review actions. Every action goes
// through the store (journal + fdatasync) before any panel shows it; panels only ever draw the store's record.
import * as vscode from 'vscode';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CancelledError, UsageError, describeError } from '../core/errors';
import type { AvuSample, Modality, Subset } from '../dataset/record';
import type { ReviewAction } from '../dataset/ops';
import { recordIdForClip } from '../dataset/sample';
import type { AvuStore } from '../dataset/store';
import { encodePngRgb } from '../media/png';
import { FRAME_SIZE } from '../media/frames';
import { ensurePreview } from '../media/preview';
import type { ClipFeatures } from '../media/features';
import { listenProbe, listenQuestions, sameAnswer } from '../inference/listen';
import type { CaptionPhase, ListenRow, StreamStage, ToWebview } from '../protocol/messages';
import type { ClipLocation, DatasetRegistry } from './dataset-registry';
import type { ModelService } from './model-service';

/** An undoable change, as VS Code's custom-document edit stack wants it. */
export interface ClipEdit {
  label: string;
  undo(): Promise<void>;
  redo(): Promise<void>;
}

export interface ClipDocumentHost {
  registry: DatasetRegistry;
  models: ModelService;
  log: vscode.LogOutputChannel;
  /** A review action was saved: VS Code puts it on the document's undo stack. */
  onEdit(doc: ClipDocument, edit: ClipEdit): void;
  /** VS Code closed the last editor of the document. */
  onDisposed?(doc: ClipDocument): void;
}

export class ClipDocument implements vscode.CustomDocument {
  readonly loc: ClipLocation;
  private features: Promise<ClipFeatures> | undefined;
  private run: { abort: AbortController; done: Promise<AvuSample | undefined> } | undefined;
  private readonly panels = new Set<(msg: ToWebview) => void>();
  private phase: { phase: CaptionPhase; message?: string } = { phase: 'idle' };
  /** The text streamed so far per prompt of the caption in progress: a panel that opens (or reloads) mid-caption gets it. */
  private readonly streamed = new Map<string, { stage: StreamStage; text: string }>();
  private disposed = false;

  constructor(
    readonly uri: vscode.Uri,
    private readonly host: ClipDocumentHost,
  ) {
    if (uri.scheme !== 'file') throw new UsageError('not-a-local-file', `AVU can only review files on this machine, not '${uri.toString()}'.`);
    this.loc = host.registry.locate(uri);
  }

  get cacheDir(): string {
    return join(this.loc.root, '.avu', 'cache');
  }

  store(): Promise<AvuStore> {
    return this.host.registry.store(this.loc.root);
  }

  /** The record id of this clip: the one the store already has for it, else the id a new record gets. */
  async recordId(): Promise<string> {
    return (await this.store()).idForClip(this.loc.rel) ?? recordIdForClip(this.loc.rel);
  }

  async record(): Promise<AvuSample | undefined> {
    return (await this.store()).get(await this.recordId());
  }

  /** A panel's way to hear about this clip; returns its unsubscribe. */
  attach(post: (msg: ToWebview) => void): () => void {
    this.panels.add(post);
    return () => this.panels.delete(post);
  }

  private broadcast(msg: ToWebview): void {
    for (const post of this.panels) post(msg);
  }

  private setPhase(phase: CaptionPhase, message?: string): void {
    this.phase = message === undefined ? { phase } : { phase, message };
    this.broadcast({ type: 'captionState', ...this.phase });
  }

  get captionPhase(): CaptionPhase {
    return this.phase.phase;
  }

  /** Sends a panel everything it shows: the record first (cheap), then frames and spectrograms, then the preview. */
  async sendState(post: (msg: ToWebview) => void, asWebviewUri: (file: string) => string): Promise<void> {
    await this.postRecord(post);
    // Mid-caption: a fresh start of the stream (idle, then the phase) and everything streamed so far, so a panel
    // that also got some of the tokens before it was ready shows each once.
    if (this.run) post({ type: 'captionState', phase: 'idle' });
    post({ type: 'captionState', ...this.phase });
    for (const { stage, text } of this.streamed.values()) post({ type: 'token', stage, text });
    const features = this.sendFeatures(post, asWebviewUri);
    const preview = ensurePreview(this.uri.fsPath, join(this.cacheDir, 'preview'), { ffmpegPath: this.host.models.ffmpegPath() }).then(
      (file) => post({ type: 'preview', uri: asWebviewUri(file) }),
      (err: unknown) => post({ type: 'preview', uri: null, error: describeError(err) }),
    );
    await Promise.all([features, preview]);
  }

  private async sendFeatures(post: (msg: ToWebview) => void, asWebviewUri: (file: string) => string): Promise<void> {
    try {
      const f = await this.getFeatures();
      const dir = join(this.cacheDir, 'frames', await this.recordId());
      await mkdir(dir, { recursive: true });
      const files = f.frameImages.map((_, i) => join(dir, `${String(i).padStart(2, '0')}.png`));
      await Promise.all(f.frameImages.map((img, i) => writeFile(files[i]!, encodePngRgb(img, FRAME_SIZE, FRAME_SIZE))));
      const stamp = Date.now();
      post({
        type: 'features',
        media: { durationS: f.media.durationS, width: f.media.width, height: f.media.height, fps: f.media.fps, hasAudio: f.media.hasAudio },
        frames: files.map((file, i) => ({ uri: `${asWebviewUri(file)}?v=${stamp}`, timeS: f.timestampsS[i] ?? 0 })),
        segments: f.segments.map((s) => ({ startS: s.startS, endS: s.endS })),
        spectrograms: { shape: [f.timestampsS.length, 128, 204], data: f.spectrograms.slice() },
      });
    } catch (err) {
      post({ type: 'captionState', phase: 'failed', message: `The clip's frames and sound could not be read: ${describeError(err)}` });
    }
  }

  /** The clip's features, extracted once per open document (the display and the caption share them). */
  getFeatures(signal?: AbortSignal): Promise<ClipFeatures> {
    if (!this.features) {
      const p = this.host.models.features(this.uri.fsPath, signal ? { signal } : {});
      this.features = p;
      p.catch(() => {
        if (this.features === p) this.features = undefined;
      });
    }
    return this.features;
  }

  async postRecord(post?: (msg: ToWebview) => void): Promise<void> {
    const store = await this.store();
    const id = await this.recordId();
    const msg: ToWebview = { type: 'record', record: store.get(id) ?? null, canUndo: store.canUndo(id), canRedo: store.canRedo(id) };
    if (post) post(msg);
    else this.broadcast(msg);
  }

  /** Captions the clip (or returns the run in progress) and writes the record into the store. */
  caption(): Promise<AvuSample | undefined> {
    if (this.run) return this.run.done;
    const abort = new AbortController();
    const done = (async (): Promise<AvuSample | undefined> => {
      try {
        this.setPhase('features');
        const features = this.getFeatures();
        await features;
        const record = await this.host.models.exclusive(async (m) => {
          if (abort.signal.aborted) throw new CancelledError(abort.signal.reason);
          this.setPhase('generating', m.label);
          const a = await m.pipeline.annotate(this.uri.fsPath, {
            relPath: this.loc.rel,
            features,
            signal: abort.signal,
            onToken: (stage, e) => {
              if (!e.text) return;
              const key = JSON.stringify(stage);
              const cur = this.streamed.get(key);
              if (cur) cur.text += e.text;
              else this.streamed.set(key, { stage, text: e.text });
              this.broadcast({ type: 'token', stage, text: e.text });
            },
          });
          return a.record;
        });
        this.setPhase('saving');
        const store = await this.store();
        record.id = await this.recordId();
        const saved = store.put(record);
        this.host.registry.notify(this.loc.root);
        await this.postRecord();
        this.setPhase('done');
        return saved;
      } catch (err) {
        if (err instanceof CancelledError || abort.signal.aborted) {
          this.setPhase('cancelled', 'Captioning was cancelled; nothing was written.');
          return undefined;
        }
        this.setPhase('failed', describeError(err));
        throw err;
      } finally {
        this.run = undefined;
        this.streamed.clear();
      }
    })();
    this.streamed.clear();
    this.run = { abort, done };
    return done;
  }

  cancelCaption(): void {
    this.run?.abort.abort(new Error('cancelled by the user'));
  }

  private async mustRecord(): Promise<{ store: AvuStore; id: string; record: AvuSample }> {
    const store = await this.store();
    const id = await this.recordId();
    const record = store.get(id);
    if (!record) throw new UsageError('no-record', `${this.loc.rel} has not been captioned yet; run "AVU: Caption Clip" first.`);
    return { store, id, record };
  }

  private changed(): Promise<void> {
    this.host.registry.notify(this.loc.root);
    return this.postRecord();
  }

  /** Undoes (or redoes) the record's last `count` review actions in the store. */
  private async undoRedo(kind: 'undo' | 'redo', count: number): Promise<void> {
    const { store, id } = await this.mustRecord();
    for (let i = 0; i < count; i++) if (!(kind === 'undo' ? store.undo(id) : store.redo(id))) break;
    await this.changed();
  }

  private pushEdit(label: string, count: number): void {
    this.host.onEdit(this, {
      label,
      undo: () => this.undoRedo('undo', count),
      redo: () => this.undoRedo('redo', count),
    });
  }

  /** One review action; saved (journal + fdatasync) before it returns. */
  async review(qaId: string, action: ReviewAction, text?: string): Promise<AvuSample> {
    const { store, id } = await this.mustRecord();
    const saved = store.review(id, qaId, action, text);
    this.pushEdit(`${action} ${qaId}`, 1);
    await this.changed();
    return saved;
  }

  /** Accepts every pending item of a subset (one undo step). */
  async acceptGroup(subset: Subset): Promise<number> {
    const { store, id, record } = await this.mustRecord();
    const pending = record.qa.filter((q) => q.subset === subset && q.status === 'pending' && !q.edit);
    for (const q of pending) store.review(id, q.id, 'accept');
    if (pending.length) this.pushEdit(`accept ${pending.length} ${subset} items`, pending.length);
    await this.changed();
    return pending.length;
  }

  async editCaption(modality: Modality, text: string): Promise<void> {
    const { store, id, record } = await this.mustRecord();
    const before = record.captions[modality];
    const set = async (value: string): Promise<void> => {
      const cur = store.get(id);
      if (!cur) return;
      store.patch(id, { captions: { ...cur.captions, [modality]: value } }, `edit-caption-${modality}`);
      await this.changed();
    };
    await set(text);
    this.host.onEdit(this, { label: `edit ${modality} caption`, undo: () => set(before), redo: () => set(text) });
  }

  /** "Does it listen?": the clip's audio and AV questions again with noise and with silence for audio. */
  async listen(): Promise<ListenRow[]> {
    const { record } = await this.mustRecord();
    const questions = listenQuestions(record.qa.map((q) => ({ id: q.id, q: q.q, modality: q.modality })));
    this.broadcast({ type: 'listen', phase: 'running', rows: [] });
    try {
      const features = await this.getFeatures();
      const answers = await this.host.models.exclusive((m) => listenProbe(m.model, features, basename(this.uri.fsPath), questions));
      const rows: ListenRow[] = answers.map((a) => ({
        qaId: a.id, q: a.q, modality: a.modality, real: a.real, noise: a.noise, silence: a.silence,
        sameWithNoise: sameAnswer(a.real, a.noise), sameWithSilence: sameAnswer(a.real, a.silence),
      }));
      this.broadcast({ type: 'listen', phase: 'done', rows });
      return rows;
    } catch (err) {
      this.broadcast({ type: 'listen', phase: 'failed', rows: [], message: describeError(err) });
      throw err;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cancelCaption();
    this.panels.clear();
    this.host.onDisposed?.(this);
  }
}
