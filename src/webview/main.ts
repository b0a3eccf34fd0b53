// Composition root of the review webview: the only file that touches acquireVsCodeApi, window and the
// animation clock. It wires host messages and user intents through the pure state (state.ts) into the view.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { FromWebview, ToWebview } from '../protocol/messages';
import { installKeys } from './keys';
import { initialState, update, type PanelEvent, type ViewState } from './state';
import { PanelView } from './view';

interface VsCodeApi {
  postMessage(msg: FromWebview): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** UI state only (where the reviewer was); review state always comes from the store. */
interface Saved {
  focusId: string | null;
  scrollY: number;
}

const HOST_TYPES = new Set(['init', 'features', 'preview', 'record', 'captionState', 'token', 'listen', 'command', 'reply']);

function start(api: VsCodeApi, root: HTMLElement): void {
  const saved = readSaved(api.getState());
  let state: ViewState = initialState({ focusId: saved.focusId });
  if (saved.focusId) state = { ...state, focusSeq: 1 };
  let scrollRestored = saved.scrollY === 0;
  const dispatch = (e: PanelEvent): void => {
    const step = update(state, e);
    state = step.state;
    for (const m of step.send) api.postMessage(m);
    view.render(state);
    if (!scrollRestored && state.record) {
      scrollRestored = true;
      window.scrollTo(0, saved.scrollY);
    }
    persist();
  };
  const view = new PanelView(root, dispatch, { request: (cb) => requestAnimationFrame(cb), cancel: (id) => cancelAnimationFrame(id) });
  const persist = (): void => {
    api.setState({ focusId: state.focus?.kind === 'qa' ? state.focus.id : null, scrollY: Math.round(window.scrollY) } satisfies Saved);
  };
  let scrollPending = false;
  window.addEventListener('scroll', () => {
    if (scrollPending) return;
    scrollPending = true;
    requestAnimationFrame(() => {
      scrollPending = false;
      persist();
    });
  }, { passive: true });
  window.addEventListener('message', (ev: MessageEvent<unknown>) => {
    const m = ev.data;
    if (m && typeof m === 'object' && HOST_TYPES.has(String((m as { type?: unknown }).type))) dispatch(m as ToWebview);
  });
  installKeys(document, dispatch, () => state);
  view.render(state);
  api.postMessage({ type: 'ready' });
}

function readSaved(v: unknown): Saved {
  const o = (v && typeof v === 'object' ? v : {}) as Partial<Record<keyof Saved, unknown>>;
  return { focusId: typeof o.focusId === 'string' ? o.focusId : null, scrollY: typeof o.scrollY === 'number' ? o.scrollY : 0 };
}

const root = document.getElementById('app');
if (root) start(acquireVsCodeApi(), root);
