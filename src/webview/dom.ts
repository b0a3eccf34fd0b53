// A tiny element builder: classes, attributes, text and listeners, never inline style attributes (the CSP
// refuses them; sizes that must be computed go through element.style, which the CSP allows).
export type Child = Node | string | null | false | undefined;
export interface Props {
  class?: string;
  attrs?: Record<string, string | number | boolean | null | undefined>;
  on?: { [K in keyof HTMLElementEventMap]?: (e: HTMLElementEventMap[K]) => void };
  text?: string;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, props?: Props, ...children: Child[]): HTMLElement;
export function h(tag: string, props: Props = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  for (const [k, v] of Object.entries(props.attrs ?? {})) {
    if (k === 'style') throw new Error('inline style attributes are refused by the panel CSP; use a class');
    if (v === false || v === null || v === undefined) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const [k, fn] of Object.entries(props.on ?? {})) el.addEventListener(k, fn as EventListener);
  if (props.text !== undefined) el.textContent = props.text;
  for (const c of children) if (c !== null && c !== false && c !== undefined) el.append(c);
  return el;
}

/** A vscode-button (native-looking, keyboard-operable) with a visible label and an accessible name. */
export function button(label: string, onClick: () => void, opts: { ariaLabel?: string; secondary?: boolean; disabled?: boolean; class?: string; focusKey?: string } = {}): HTMLElement {
  return h('vscode-button', {
    class: opts.class,
    attrs: { 'aria-label': opts.ariaLabel ?? label, secondary: opts.secondary, disabled: opts.disabled, 'data-focus-key': opts.focusKey },
    on: { click: () => { if (!opts.disabled) onClick(); } },
  }, label);
}

export function badge(text: string, cls = ''): HTMLElement {
  return h('vscode-badge', { class: cls }, text);
}

/** Replaces a container's children only when the view model's signature changed, so focus and caret survive. */
export class Region {
  private sig = '\u0000';
  constructor(readonly el: HTMLElement) {}
  render(sig: string, build: () => Child[]): boolean {
    if (sig === this.sig) return false;
    this.sig = sig;
    const hadFocus = this.el.contains(document.activeElement);
    this.el.replaceChildren(...build().filter((c): c is Node | string => c !== null && c !== false && c !== undefined));
    if (hadFocus) this.el.dispatchEvent(new CustomEvent('regionrebuilt', { bubbles: true }));
    return true;
  }
}
