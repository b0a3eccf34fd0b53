// A command that stops slowly: its first signal aborts, and the cleanup then never finishes (as a child
// that ignores SIGTERM would). Used by locks-signals.test.ts: the second signal must end it.
import { stopOnSignals } from '../../src/cli/signals';

const ac = new AbortController();
stopOnSignals((r) => ac.abort(r), (line) => process.stderr.write(line));
ac.signal.addEventListener('abort', () => {
  setInterval(() => undefined, 1000); // cleanup that does not end
});
setInterval(() => undefined, 1000);
process.stdout.write('ready\n');
