// One fine-tune per dataset at a time: <dataset>/.avu/finetune/lock holds the running launch's pid and host.
// A lock whose process is gone (same host) is stale and taken over; a live one refuses the second launch.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FinetuneError } from '../core/errors';

export interface FinetuneLock {
  path: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireFinetuneLock(dir: string, what: string): FinetuneLock {
  const path = join(dir, 'lock');
  const body = JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), what });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, body + '\n');
      closeSync(fd);
      let released = false;
      return {
        path,
        release: () => {
          if (!released) rmSync(path, { force: true });
          released = true;
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let held: { pid?: number; host?: string; startedAt?: string; what?: string } = {};
      try {
        held = JSON.parse(readFileSync(path, 'utf8')) as typeof held;
      } catch {
        // torn or empty: whoever wrote it died mid-write
      }
      const sameHost = held.host === hostname();
      if (sameHost && typeof held.pid === 'number' && alive(held.pid)) {
        throw new FinetuneError('already-running', `A fine-tune of this dataset is already running (pid ${held.pid}, since ${held.startedAt ?? '?'}); wait for it or cancel it, then launch again.`);
      }
      if (!sameHost && held.host) {
        throw new FinetuneError('already-running', `A fine-tune of this dataset was started on ${held.host} (pid ${held.pid ?? '?'}); if it is no longer running, remove ${path}.`);
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new FinetuneError('lock-failed', `Could not take ${path}; remove it if no fine-tune is running.`);
}
