// The hostile suites' tally: attacks tried per item and acknowledged actions lost, printed once per file
// as "hostile <suite>: N attacks tried (item 4 12, ...), M acknowledged actions checked, 0 lost".
import { after } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { CliIo } from '../../src/cli/command';

export function tally(suite: string) {
  const byItem = new Map<string, number>();
  const t = {
    attacks: 0,
    acknowledged: 0,
    lost: 0,
    attack(item: string, n = 1): void {
      t.attacks += n;
      byItem.set(item, (byItem.get(item) ?? 0) + n);
    },
  };
  after(() => {
    const parts = [...byItem].map(([k, v]) => `${k} ${v}`).join(', ');
    process.stderr.write(`hostile ${suite}: ${t.attacks} attacks tried (${parts}), ${t.acknowledged} acknowledged actions checked, ${t.lost} lost\n`);
  });
  return t;
}

export function tmp(prefix = 'avu-hostile-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Every path under `dir` except `.avu/`, with content hashes: what a command must not change. */
export function treeOutsideStore(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of fs.readdirSync(d).sort()) {
      const p = path.join(d, n);
      const rel = path.relative(dir, p);
      if (rel.split(path.sep)[0] === '.avu') continue;
      const st = fs.lstatSync(p);
      if (st.isDirectory()) {
        out.push(rel + '/');
        walk(p);
      } else out.push(`${rel} ${st.isFile() ? createHash('sha1').update(fs.readFileSync(p)).digest('hex') : 'special'}`);
    }
  };
  walk(dir);
  return out;
}

/** A CLI io that keeps what a command prints. */
export function captureIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) };
}
