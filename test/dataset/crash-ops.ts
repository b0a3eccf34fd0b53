// The deterministic action sequence of the crash test: step s of writer `role` is always the same
// review action, so the test can recompute what every item must look like from the acknowledged steps.
import type { ReviewAction } from '../../src/dataset/ops';

export const RECORDS = 12;
export const ITEMS = 6;

export interface CrashOp {
  recordId: string;
  qaId: string;
  action: ReviewAction;
  text?: string;
}

function mix(n: number): number {
  let x = (n ^ 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Writer A touches items 0, 2, 4 of every record; writer B items 1, 3, 5: they share records, not items. */
export function crashOp(role: 'A' | 'B', step: number): CrashOp {
  const h = mix(step * 2 + (role === 'A' ? 0 : 1));
  const record = h % RECORDS;
  const item = ((h >>> 8) % (ITEMS / 2)) * 2 + (role === 'A' ? 0 : 1);
  const kind = (h >>> 16) % 3;
  const action: ReviewAction = kind === 0 ? 'accept' : kind === 1 ? 'edit' : 'reject';
  return { recordId: `rec${record}`, qaId: `q${item}`, action, ...(action === 'edit' ? { text: `${role} edit ${step}` } : {}) };
}

export interface ItemState {
  status: string;
  edit: string | null;
}

/** What the store must hold after steps 0..lastStep of a writer (same rules as AvuStore.review). */
export function expectedStates(role: 'A' | 'B', lastStep: number, into: Map<string, ItemState>): void {
  for (let s = 0; s <= lastStep; s++) {
    const op = crashOp(role, s);
    const key = `${op.recordId}/${op.qaId}`;
    const cur = into.get(key) ?? { status: 'pending', edit: null };
    if (op.action === 'edit') into.set(key, { status: 'accepted', edit: op.text ?? null });
    else into.set(key, { status: op.action === 'accept' ? 'accepted' : 'rejected', edit: cur.edit });
  }
}
