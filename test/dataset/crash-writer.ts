// Child process of the crash test: replays steps [start, start + count) of one writer's sequence,
// printing `ack <step>` once each action is durable, and compacting every 16 steps.
import { AvuStore } from '../../src/dataset/store';
import { crashOp } from './crash-ops';

async function main(): Promise<void> {
  const [dir, roleArg, startArg, countArg, pauseArg] = process.argv.slice(2);
  const role = roleArg === 'B' ? 'B' : 'A';
  const start = Number(startArg);
  const count = Number(countArg);
  const pauseMs = Number(pauseArg ?? 0);
  const store = await AvuStore.open(dir!, { autoCompactAfter: 0 });
  for (let s = start; s < start + count; s++) {
    const op = crashOp(role, s);
    store.review(op.recordId, op.qaId, op.action, op.text);
    process.stdout.write(`ack ${s}\n`);
    if (s % 16 === 15) await store.compact({ waitMs: 100 });
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    else if (s % 4 === 0) await new Promise((r) => setImmediate(r));
  }
  await store.close();
  process.stdout.write('done\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`crash-writer: ${String(err)}\n`);
  process.exit(1);
});
