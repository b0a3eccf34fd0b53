// The compaction lock: `.avu/lock`, created with O_EXCL, holding {pid, host, token, at}.
// Only compaction takes it (recording a review action never waits for it). A lock is stale when its
// process is gone (same host, `kill(pid, 0)` says ESRCH, or the PID now names a process that started
// after the lock was written: a reused PID) or it is older than `staleMs` (another host).
// Breaking a stale lock renames it to a unique name first and checks that what it moved is still the
// stale lock it judged, so two processes breaking the same stale lock cannot both win.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { randomBytes } from 'node:crypto';

export interface LockInfo {
  pid: number;
  host: string;
  token: string;
  at: number;
  /** When the holder process started (ms since the epoch, from /proc; absent elsewhere and in old locks). */
  started?: number;
}

let bootMs: number | undefined;

/**
 * When process `pid` started, in ms since the epoch, from /proc/<pid>/stat (field 22, clock ticks since
 * boot, USER_HZ = 100 on Linux) and /proc/stat's btime; undefined where there is no /proc or no process.
 */
export function processStartMs(pid: number): number | undefined {
  try {
    if (bootMs === undefined) {
      const m = /^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'));
      if (!m) return undefined;
      bootMs = Number(m[1]) * 1000;
    }
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 on; the name may hold spaces
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? bootMs + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

// btime is whole seconds and ticks are 10 ms: two readings of one process's start differ by up to ~1 s.
const START_SLACK_MS = 1500;

/**
 * Whether `pid` is the process that wrote the lock: alive, and (where /proc says when it started) started
 * when the lock says, or at least before the lock was written. A PID reused by an unrelated process
 * (after the writer died, or after a reboot) started later, so it does not hold the lock.
 */
export function holderAlive(info: LockInfo): boolean {
  if (!pidAlive(info.pid)) return false;
  const started = processStartMs(info.pid);
  if (started === undefined) return true;
  if (info.started !== undefined) return Math.abs(started - info.started) <= START_SLACK_MS;
  return started <= info.at + START_SLACK_MS;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockInfo | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.token === 'string' && typeof v.at === 'number')
      return { pid: v.pid, host: v.host, token: v.token, at: v.at, ...(typeof v.started === 'number' ? { started: v.started } : {}) };
    return undefined;
  } catch {
    return undefined;
  }
}

export class DirLock {
  private token: string | undefined;
  constructor(
    readonly file: string,
    private readonly staleMs = 10 * 60_000,
  ) {}

  private isStale(info: LockInfo | undefined, mtimeMs: number): boolean {
    if (!info) return Date.now() - mtimeMs > 5_000; // half-written lock file from a crash, or garbage
    if (info.host === os.hostname()) return !holderAlive(info);
    return Date.now() - info.at > this.staleMs;
  }

  /** One attempt: true if this process now holds the lock. */
  tryAcquire(): boolean {
    const token = `${process.pid}-${randomBytes(6).toString('hex')}`;
    const started = processStartMs(process.pid);
    const info: LockInfo = { pid: process.pid, host: os.hostname(), token, at: Date.now(), ...(started === undefined ? {} : { started }) };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = fs.openSync(this.file, 'wx');
        try {
          fs.writeSync(fd, JSON.stringify(info));
          fs.fsyncSync(fd);
        } catch (err) {
          // A full disk: a half-written lock would stall everyone for seconds; take it back.
          fs.closeSync(fd);
          fs.rmSync(this.file, { force: true });
          throw err;
        }
        fs.closeSync(fd);
        this.token = token;
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      let st: fs.Stats;
      try {
        st = fs.statSync(this.file);
      } catch {
        continue; // released meanwhile
      }
      const held = readLock(this.file);
      if (!this.isStale(held, st.mtimeMs)) return false;
      const aside = `${this.file}.broken-${token}`;
      try {
        fs.renameSync(this.file, aside);
      } catch {
        continue;
      }
      const moved = readLock(aside);
      if (held && moved && moved.token !== held.token) {
        // We moved a fresh lock that replaced the stale one: put it back unless someone else holds one now.
        try {
          fs.linkSync(aside, this.file);
        } catch {
          // A third process holds the lock; the one we moved will notice in `stillHeld`.
        }
        fs.rmSync(aside, { force: true });
        return false;
      }
      fs.rmSync(aside, { force: true });
    }
    return false;
  }

  /** Tries until `timeoutMs` has passed; `onWait` hears once, after a second, who holds the lock. */
  async acquire(timeoutMs: number, signal?: AbortSignal, onWait?: (holder: LockInfo) => void): Promise<boolean> {
    const start = Date.now();
    const end = start + timeoutMs;
    let told = false;
    for (;;) {
      if (this.tryAcquire()) return true;
      if (Date.now() >= end || signal?.aborted) return false;
      if (onWait && !told && Date.now() - start >= 1000) {
        told = true;
        const held = readLock(this.file);
        if (held) onWait(held);
      }
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
    }
  }

  /** Whether the lock file still carries our token (checked before irreversible steps). */
  stillHeld(): boolean {
    return this.token !== undefined && readLock(this.file)?.token === this.token;
  }

  release(): void {
    if (this.token && this.stillHeld()) fs.rmSync(this.file, { force: true });
    this.token = undefined;
  }
}
