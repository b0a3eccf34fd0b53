// The keys the webview itself handles. Letters (A R E J K ⇧A ?) are VS Code keybindings that arrive as
// `command` messages, so they are never acted on here (that would double every action). Here: Enter / Esc in a
// text field, Esc and Tab inside the help dialog, and the textInput signal when a text field gains or loses
// focus (the host turns the letter keybindings off while typing).
import type { Focus, Intent, ViewState } from './state';
import type { Modality } from './types';

const TEXT_FIELD = '[data-editor], textarea, input, vscode-textarea, vscode-textfield';

export function installKeys(doc: Document, dispatch: (i: Intent) => void, state: () => ViewState): void {
  doc.addEventListener('keydown', (e) => {
    if (e.isComposing) return;
    const target = e.target instanceof Element ? e.target : null;
    if (target?.closest('[data-editor]')) {
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        dispatch({ intent: 'submit' });
      } else if (e.key === 'Escape') {
        e.preventDefault();
        dispatch({ intent: 'cancel' });
      }
      return;
    }
    if (state().helpOpen) {
      if (e.key === 'Escape') {
        e.preventDefault();
        dispatch({ intent: 'closeHelp' });
      } else if (e.key === 'Tab') {
        // The dialog has one control: keep focus on it while the dialog is open.
        e.preventDefault();
        (doc.querySelector('.help-layer vscode-button') as HTMLElement | null)?.focus();
      }
    }
  }, true);

  doc.addEventListener('focusin', (e) => {
    const target = e.target instanceof Element ? e.target : null;
    if (!target) return;
    if (target.closest(TEXT_FIELD)) dispatch({ intent: 'textFocus', active: true });
    const f = focusOf(target);
    const cur = state().focus;
    if (f && !(cur && cur.kind === f.kind && (cur.kind === 'qa' ? cur.id === (f as { id: string }).id : cur.modality === (f as { modality: Modality }).modality))) {
      dispatch({ intent: 'focus', focus: f });
    }
  });

  doc.addEventListener('focusout', (e) => {
    const target = e.target instanceof Element ? e.target : null;
    const next = e.relatedTarget instanceof Element ? e.relatedTarget : null;
    if (target?.closest(TEXT_FIELD) && !next?.closest(TEXT_FIELD)) dispatch({ intent: 'textFocus', active: false });
  });
}

function focusOf(el: Element): Focus | null {
  const qa = el.closest('[data-qa]')?.getAttribute('data-qa');
  if (qa) return { kind: 'qa', id: qa };
  const cap = el.closest('[data-caption]')?.getAttribute('data-caption');
  if (cap === 'audio' || cap === 'visual' || cap === 'av') return { kind: 'caption', modality: cap };
  return null;
}
