// The one text field of the panel (answer edit, reject reason, caption edit): a vscode-textarea whose keys
// (Enter saves, Shift+Enter new line, Esc cancels) are handled by keys.ts through the data-editor marker.
import { h } from './dom';

export function editorField(opts: { label: string; value: string; hint: string; rows: number; onInput: (text: string) => void }): HTMLElement {
  const area = h('vscode-textarea', {
    class: 'editor-field',
    attrs: { label: opts.label, 'aria-label': opts.label, rows: opts.rows, resize: 'none', 'data-editor': '', 'data-focus-key': 'editor' },
  }) as HTMLElement & { value: string };
  area.value = opts.value;
  area.addEventListener('input', () => opts.onInput(area.value));
  return h('div', { class: 'editor' }, area, h('p', { class: 'hint', text: opts.hint }));
}

/** Moves DOM focus into the field once lit has rendered its inner textarea, caret at the end. */
export async function focusEditor(root: ParentNode): Promise<void> {
  const area = root.querySelector('[data-editor]') as (HTMLElement & { updateComplete?: Promise<unknown>; wrappedElement?: HTMLTextAreaElement }) | null;
  if (!area) return;
  await area.updateComplete;
  const inner = area.wrappedElement;
  if (!inner) return area.focus();
  inner.focus();
  inner.setSelectionRange(inner.value.length, inner.value.length);
}
