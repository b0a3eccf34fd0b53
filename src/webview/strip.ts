// The frames strip: 8 frames with their timestamps over the 8 spectrograms, one time axis, one focusable
// column per frame (click, Enter or Space plays that frame's 2 s segment), and the player's playhead across it.
import type { FeaturesMessage } from '../protocol/messages';
import { colourRange } from './colormap';
import { h } from './dom';
import { drawSpectrogram, spectrogramPixels } from './spectrogram';
import { columnSlice, playableRange, playheadFraction } from './timeline';

export class FramesStrip {
  readonly el: HTMLElement;
  private readonly columns: HTMLElement;
  private readonly playhead: HTMLElement;
  private shown: FeaturesMessage | null = null;

  constructor(private readonly play: (startS: number, endS: number) => void) {
    this.columns = h('div', { class: 'strip-columns' });
    this.playhead = h('div', { class: 'playhead', attrs: { 'aria-hidden': 'true' } });
    this.playhead.hidden = true;
    this.el = h('section', { class: 'strip', attrs: { 'aria-label': 'Frames and spectrograms' } }, this.columns, this.playhead);
    this.el.append(h('p', { class: 'strip-empty', text: 'Reading frames and audio…' }));
  }

  show(f: FeaturesMessage | null): void {
    if (f === this.shown) return;
    this.shown = f;
    this.el.querySelector('.strip-empty')?.remove();
    if (!f) return;
    const { shape, data } = f.spectrograms;
    const range = colourRange(data);
    const n = f.frames.length;
    const cols = f.frames.map((frame, i) => {
      const seg = f.segments[i] ?? { startS: frame.timeS - 1, endS: frame.timeS + 1 };
      const play = playableRange(seg, f.media.durationS);
      const canvas = h('canvas', { class: 'spectrogram', attrs: { 'aria-hidden': 'true' } });
      const slice = i < shape[0] ? columnSlice(i, n, f.media.durationS, seg, shape[2]) : null;
      if (slice) {
        drawSpectrogram(canvas, spectrogramPixels(data, shape, i, slice.j0, slice.j1, range), slice.j1 - slice.j0, shape[1]);
        canvas.style.left = `${(slice.left * 100).toFixed(3)}%`;
        canvas.style.width = `${(slice.width * 100).toFixed(3)}%`;
      }
      const label = `Frame ${i + 1} at ${frame.timeS.toFixed(2)} s: play ${play.startS.toFixed(2)} to ${play.endS.toFixed(2)} s`;
      const start = (): void => this.play(play.startS, play.endS);
      return h('div', {
        class: 'strip-column',
        attrs: { role: 'button', tabindex: 0, 'aria-label': label, title: label, 'data-focus-key': `frame:${i}` },
        on: {
          click: start,
          keydown: (e) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              start();
            }
          },
        },
      },
      h('img', { class: 'frame', attrs: { src: frame.uri, alt: '', draggable: 'false' } }),
      h('span', { class: 'frame-time', text: `${frame.timeS.toFixed(2)} s` }),
      h('div', { class: 'spectrogram-cell' }, canvas));
    });
    this.columns.replaceChildren(...cols);
  }

  setPlayhead(timeS: number | null): void {
    const frac = timeS === null || !this.shown ? null : playheadFraction(timeS, this.shown.media.durationS);
    this.playhead.hidden = frac === null;
    if (frac !== null) this.playhead.style.left = `${(frac * 100).toFixed(3)}%`;
  }
}
