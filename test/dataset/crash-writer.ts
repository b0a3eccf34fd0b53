// Child process of the crash test: replays steps [start, start + count) of one writer's sequence,
// printing `ack <step>` once each action is durable, and compacting every 16 steps.
// AVU_CRASH_ENOSPC_EVERY=n: every n-th write of the store writes half its bytes and fails with ENOSPC
// (a disk that fills up mid-write); the action is not acknowledged and is tried again.
// AVU_CRASH_NO_CLOSE=1: never compact; exit right after the last acknowledgement (a crash).
import { AvuStore } from '../../src/dataset/store';
import { storeIo } from '../../src/dataset/journal';
import { DatasetError } from '../../src/core/errors';
import { crashOp } from './crash-ops';

const enospcEvery = Number(process.env.AVU_CRASH_ENOSPC_EVERY ?? 0);
if (enospcEvery > 0) {
  const real = storeIo.writeSync;
  let n = 0;
  storeIo.writeSync = (fd, buf, off, len) => {
    if (++n % enospcEvery === 0) {
      if (len > 1) real(fd, buf, off, len >> 1);
      throw Object.assign(new Error('ENOSPC: no space left on device, write (simulated)'), { code: 'ENOSPC' });
    }
    return real(fd, buf, off, len);
  };
}

const diskFull = (err: unknown): boolean => err instanceof DatasetError && err.code === 'disk-full';

async function main(): Promise<void> {
  const [dir, roleArg, startArg, countArg, pauseArg] = process.argv.slice(2);
  const role = roleArg === 'B' ? 'B' : 'A';
  const start = Number(startArg);
  const count = Number(countArg);
  const pauseMs = Number(pauseArg ?? 0);
  const store = await AvuStore.open(dir!, { autoCompactAfter: 0 });
  for (let s = start; s < start + count; s++) {
    const op = crashOp(role, s);
    for (let tries = 0; ; tries++) {
      try {
        store.review(op.recordId, op.qaId, op.action, op.text);
        break;
      } catch (err) {
        if (!diskFull(err) || tries > 20) throw err;
      }
    }
    process.stdout.write(`ack ${s}\n`);
    if (s % 16 === 15 && process.env.AVU_CRASH_NO_CLOSE !== '1') await store.compact({ waitMs: 100 }).catch((err: unknown) => { if (!diskFull(err)) throw err; });
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    else if (s % 4 === 0) await new Promise((r) => setImmediate(r));
  }
  if (process.env.AVU_CRASH_NO_CLOSE === '1') process.exit(0);
  await store.close().catch((err: unknown) => { if (!diskFull(err)) throw err; });
  process.stdout.write('done\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`crash-writer: ${String(err)}\n`);
  process.exit(1);
});
