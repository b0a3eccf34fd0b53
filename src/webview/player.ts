// The preview player: plays a 2 s segment and stops at its end, and reports the playhead while playing.
import { h } from './dom';

export interface FrameClock {
  request(cb: () => void): number;
  cancel(id: number): void;
}

export class Player {
  readonly el: HTMLElement;
  private readonly video: HTMLVideoElement;
  private readonly note: HTMLElement;
  private stopAtS: number | null = null;
  private raf: number | null = null;
  private uri: string | null | undefined;

  constructor(private readonly clock: FrameClock, private readonly onTime: (timeS: number | null) => void) {
    this.video = h('video', { class: 'preview', attrs: { controls: true, preload: 'metadata', 'aria-label': 'Clip preview' } });
    this.note = h('p', { class: 'preview-note', text: 'Preparing the preview…' });
    this.el = h('div', { class: 'player' }, this.video, this.note);
    this.video.addEventListener('play', () => this.tick());
    this.video.addEventListener('pause', () => this.stopTicking());
    this.video.addEventListener('ended', () => this.stopTicking());
    this.video.addEventListener('seeked', () => this.onTime(this.video.paused ? null : this.video.currentTime));
  }

  show(preview: { uri: string | null; error?: string } | null): void {
    const uri = preview ? preview.uri : undefined;
    if (uri === this.uri) return;
    this.uri = uri;
    if (uri) this.video.src = uri;
    else this.video.removeAttribute('src');
    this.video.hidden = !uri;
    this.note.hidden = !!uri;
    this.note.textContent = preview === null ? 'Preparing the preview…' : `No preview: ${preview.error ?? 'the clip could not be transcoded'}.`;
  }

  playSegment(startS: number, endS: number): void {
    if (!this.uri) return;
    this.stopAtS = endS;
    this.video.currentTime = startS;
    void this.video.play().catch(() => undefined);
  }

  private tick = (): void => {
    const t = this.video.currentTime;
    if (this.stopAtS !== null && t >= this.stopAtS) {
      this.stopAtS = null;
      this.video.pause();
      return;
    }
    this.onTime(t);
    this.raf = this.clock.request(this.tick);
  };

  private stopTicking(): void {
    if (this.raf !== null) this.clock.cancel(this.raf);
    this.raf = null;
    this.stopAtS = null;
    this.onTime(null);
  }
}
