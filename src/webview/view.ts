// Lays out the panel and renders a view state into it: each region rebuilds only when its part of the state
// changed; then DOM focus follows the state (J/K, an editor opening, the help dialog) or is put back where it
// was when a rebuild took the focused element away.
import { captionsSig, renderCaptions } from './captions';
import { h, Region } from './dom';
import { focusEditor } from './editor-field';
import { headerSig, renderHeader } from './header';
import { renderHelp } from './help';
import { renderListen } from './listen';
import { metaSig, renderMeta } from './meta';
import { Player, type FrameClock } from './player';
import { QaView } from './qa';
import { captionKey, qaKey, type Focus, type Intent, type ViewState } from './state';
import { FramesStrip } from './strip';

export class PanelView {
  private readonly header = new Region(h('header', { class: 'panel-header' }));
  private readonly captions = new Region(h('section', { class: 'captions', attrs: { 'aria-label': 'Captions' } }));
  private readonly meta = new Region(h('section', { class: 'meta', attrs: { 'aria-label': 'Meta-information and scores' } }));
  private readonly listen = new Region(h('section', { class: 'listen', attrs: { 'aria-label': 'Does it listen?' } }));
  private readonly help = new Region(h('div', { class: 'help-layer' }));
  private readonly strip: FramesStrip;
  private readonly player: Player;
  private readonly qa: QaView;
  private focusSeqDone = 0;
  private editorShown = '';
  private helpShown = false;
  private beforeHelp: HTMLElement | null = null;
  private lastFocusKey: string | null = null;

  constructor(private readonly root: HTMLElement, private readonly dispatch: (i: Intent) => void, clock: FrameClock) {
    this.player = new Player(clock, (t) => this.strip.setPlayhead(t));
    this.strip = new FramesStrip((a, b) => this.player.playSegment(a, b));
    this.qa = new QaView(dispatch);
    this.help.el.hidden = true;
    const left = h('div', { class: 'col-left' }, this.player.el, this.captions.el, this.meta.el, this.listen.el);
    const right = h('div', { class: 'col-right' }, this.qa.el);
    root.replaceChildren(this.header.el, this.strip.el, h('div', { class: 'columns' }, left, right), this.help.el);
    root.addEventListener('focusin', (e) => {
      const key = (e.target as HTMLElement).closest?.('[data-focus-key]')?.getAttribute('data-focus-key');
      if (key) this.lastFocusKey = key;
    });
  }

  render(s: ViewState): void {
    const d = this.dispatch;
    this.header.render(headerSig(s), () => renderHeader(s, d));
    this.strip.show(s.features);
    this.player.show(s.preview);
    this.captions.render(captionsSig(s), () => renderCaptions(s, d));
    this.meta.render(metaSig(s), () => renderMeta(s));
    this.listen.render(JSON.stringify(s.listen), () => renderListen(s.listen));
    this.qa.render(s);
    this.help.render(String(s.helpOpen), () => (s.helpOpen ? renderHelp(() => d({ intent: 'closeHelp' })) : []));
    this.help.el.hidden = !s.helpOpen;
    this.root.classList.toggle('help-open', s.helpOpen);
    this.moveFocus(s);
  }

  private moveFocus(s: ViewState): void {
    if (s.helpOpen !== this.helpShown) {
      this.helpShown = s.helpOpen;
      if (s.helpOpen) {
        this.beforeHelp = document.activeElement instanceof HTMLElement ? document.activeElement : null;
        (this.help.el.querySelector('vscode-button') as HTMLElement | null)?.focus();
      } else if (this.beforeHelp?.isConnected) this.beforeHelp.focus();
      return;
    }
    const ed = s.editor ? JSON.stringify([s.editor.kind, s.editor.kind === 'caption' ? s.editor.modality : s.editor.qaId]) : '';
    if (ed !== this.editorShown) {
      this.editorShown = ed;
      if (ed) {
        void focusEditor(this.root);
        return;
      }
      if (s.focus) this.focusTarget(s.focus, false);
      return;
    }
    if (s.focusSeq !== this.focusSeqDone && s.focus && this.focusTarget(s.focus, true)) {
      this.focusSeqDone = s.focusSeq;
      return;
    }
    const active = document.activeElement;
    if ((!active || active === document.body) && this.lastFocusKey) this.byKey(this.lastFocusKey)?.focus({ preventScroll: true });
  }

  private focusTarget(f: Focus, scroll: boolean): boolean {
    const el = this.byKey(f.kind === 'qa' ? qaKey(f.id) : captionKey(f.modality));
    if (!el) return false;
    el.focus({ preventScroll: true });
    if (scroll) el.scrollIntoView({ block: 'nearest' });
    return true;
  }

  private byKey(key: string): HTMLElement | null {
    return this.root.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
  }
}
