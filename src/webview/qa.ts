// The Q&A, grouped by subset. Each item: question, answer (an edited answer over the model's struck original),
// modality, author, status, a saving indicator and any error; Accept / Reject / Edit buttons for the mouse.
// Items the model is still writing show in place, marked as streaming. One Region per item, so a change to one
// item (saving, a new status) rebuilds only that item and focus stays where it was.
import { badge, button, h, Region, type Child } from './dom';
import { editorField } from './editor-field';
import { authorLabel, conflictLabel, MODALITY_LABEL, statusLabel, statusOf, SUBSET_LABEL } from './format';
import { GROUP_ORDER, isSaving, qaKey, type Intent, type StreamedQa, type ViewState } from './state';
import type { AvuSample, QaItem, Subset } from './types';

interface Group {
  subset: Subset;
  items: QaItem[];
  streamed: StreamedQa[];
}

export function qaGroups(s: ViewState): Group[] {
  const ids = new Set(s.record?.qa.map((q) => q.id) ?? []);
  return GROUP_ORDER.map((subset) => ({
    subset,
    items: s.record?.qa.filter((q) => q.subset === subset) ?? [],
    streamed: s.stream.qa.filter((q) => q.subset === subset && !ids.has(q.id)),
  })).filter((g) => g.items.length + g.streamed.length > 0);
}

export class QaView {
  readonly el = h('section', { class: 'qa', attrs: { 'aria-label': 'Questions and answers' } });
  private structure = '\u0000';
  private items = new Map<string, Region>();
  private heads = new Map<Subset, Region>();

  constructor(private readonly dispatch: (i: Intent) => void) {}

  render(s: ViewState): void {
    const groups = qaGroups(s);
    const structure = JSON.stringify(groups.map((g) => [g.subset, g.items.map((q) => q.id), g.streamed.map((q) => q.id)]));
    if (structure !== this.structure) this.build(groups, structure);
    for (const g of groups) {
      const pending = g.items.filter((q) => q.status === 'pending').length;
      this.heads.get(g.subset)?.render(JSON.stringify([g.items.length, g.streamed.length, pending]), () => groupHead(g, pending, this.dispatch));
      for (const q of g.items) {
        const region = this.items.get(q.id);
        region?.render(itemSig(s, q), () => itemBody(region.el, s, q, s.record!, this.dispatch));
        region?.el.classList.toggle('focused', s.focus?.kind === 'qa' && s.focus.id === q.id);
      }
      for (const q of g.streamed) this.items.get(`stream:${q.id}`)?.render(q.text, () => streamedBody(q));
    }
  }

  private build(groups: Group[], structure: string): void {
    this.structure = structure;
    this.items.clear();
    this.heads.clear();
    const sections = groups.map((g) => {
      const head = h('div', { class: 'group-head' });
      this.heads.set(g.subset, new Region(head));
      const list = h('ol', { class: 'qa-list', attrs: { 'aria-label': SUBSET_LABEL[g.subset] } });
      for (const q of g.items) {
        const li = h('li', { class: 'qa-item', attrs: { tabindex: 0, 'data-focus-key': qaKey(q.id), 'data-qa': q.id } });
        this.items.set(q.id, new Region(li));
        list.append(li);
      }
      for (const q of g.streamed) {
        const li = h('li', { class: 'qa-item streaming-item', attrs: { 'aria-busy': 'true' } });
        this.items.set(`stream:${q.id}`, new Region(li));
        list.append(li);
      }
      return h('section', { class: 'group', attrs: { 'data-subset': g.subset } }, head, list);
    });
    const empty = groups.length === 0 ? [h('p', { class: 'muted', text: 'No questions yet.' })] : [];
    this.el.replaceChildren(h('h2', { text: 'Questions and answers' }), ...empty, ...sections);
  }
}

function groupHead(g: Group, pending: number, dispatch: (i: Intent) => void): Child[] {
  return [
    h('h3', { text: SUBSET_LABEL[g.subset] }),
    h('span', { class: 'muted', text: g.items.length === 0 ? 'the model is writing…' : `${g.items.length} item${g.items.length === 1 ? '' : 's'} · ${pending} pending` }),
    pending > 0 ? button('Accept group', () => dispatch({ intent: 'acceptGroup', subset: g.subset }), { ariaLabel: `Accept the ${pending} pending items of ${SUBSET_LABEL[g.subset]}`, secondary: true, class: 'small' }) : null,
  ];
}

function conflictBadge(q: QaItem): HTMLElement | null {
  const c = conflictLabel(q);
  if (!c) return null;
  const el = badge(c.text, 'conflict');
  el.title = c.title;
  el.setAttribute('aria-label', c.title);
  return el;
}

function itemSig(s: ViewState, q: QaItem): string {
  const ed = s.editor && s.editor.kind !== 'caption' && s.editor.qaId === q.id ? s.editor.kind : null;
  return JSON.stringify([q, ed, isSaving(s, qaKey(q.id)), s.errors[qaKey(q.id)] ?? null]);
}

function itemBody(li: HTMLElement, s: ViewState, q: QaItem, record: AvuSample, dispatch: (i: Intent) => void): Child[] {
  const key = qaKey(q.id);
  const saving = isSaving(s, key);
  const editor = s.editor && s.editor.kind !== 'caption' && s.editor.qaId === q.id ? s.editor : null;
  const status = statusOf(q);
  li.setAttribute('aria-label', `${MODALITY_LABEL[q.modality]} question, ${statusLabel(q)}${saving ? ', saving' : ''}: ${q.q} Answer: ${q.edit?.a ?? q.a}`);
  const act = (command: 'accept' | 'reject' | 'edit') => () => {
    dispatch({ intent: 'focus', focus: { kind: 'qa', id: q.id } });
    dispatch({ intent: 'command', command });
  };
  const actions = editor ? null : h('div', { class: 'qa-actions' },
    button('Accept', act('accept'), { focusKey: `${key}:accept`, ariaLabel: `Accept: ${q.q}`, disabled: saving, class: 'small' }),
    button('Reject', act('reject'), { focusKey: `${key}:reject`, ariaLabel: `Reject: ${q.q}`, disabled: saving, secondary: true, class: 'small' }),
    button('Edit', act('edit'), { focusKey: `${key}:edit`, ariaLabel: `Edit the answer to: ${q.q}`, disabled: saving, secondary: true, class: 'small' }));
  const answer: Child[] = q.edit
    ? [h('p', { class: 'answer' }, q.edit.a), h('p', { class: 'original' }, 'model: ', h('del', { text: q.a }))]
    : [h('p', { class: 'answer', text: q.a })];
  return [
    h('div', { class: 'qa-head' },
      badge(MODALITY_LABEL[q.modality], `modality ${q.modality}`),
      badge(statusLabel(q), `status ${status}`),
      conflictBadge(q),
      h('span', { class: 'author', text: authorLabel(q, record) }),
      saving ? h('span', { class: 'saving', attrs: { role: 'status' } }, h('vscode-progress-ring', { class: 'ring', attrs: { 'aria-hidden': 'true' } }), 'saving…') : null,
      actions),
    h('p', { class: 'question', text: q.q }),
    ...(editor?.kind === 'answer'
      ? [editorField({ label: `Edit the answer to: ${q.q}`, value: editor.draft, rows: 2, hint: 'Enter saves · Shift+Enter new line · Esc cancels', onInput: (t) => dispatch({ intent: 'draft', text: t }) })]
      : answer),
    editor?.kind === 'reason'
      ? editorField({ label: `Why reject: ${q.q} (optional)`, value: editor.draft, rows: 1, hint: 'Optional reason · Enter rejects · Esc cancels', onInput: (t) => dispatch({ intent: 'draft', text: t }) })
      : null,
    s.errors[key] ? h('p', { class: 'error', attrs: { role: 'alert' }, text: s.errors[key] }) : null,
  ];
}

function streamedBody(q: StreamedQa): Child[] {
  return [
    h('div', { class: 'qa-head' }, badge(MODALITY_LABEL[q.modality], `modality ${q.modality}`), h('span', { class: 'muted', text: 'writing…' })),
    h('p', { class: 'question', text: q.q }),
    h('p', { class: 'answer streaming', text: q.text }),
  ];
}
