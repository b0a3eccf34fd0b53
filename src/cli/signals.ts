// SIGINT/SIGTERM for the `avu` command. A JavaScript signal handler runs only when the event loop is
// free, so a command in synchronous work (a long loop, a read blocked on a pipe) would ignore every
// signal while it had one installed. So only commands that stop cleanly (they check ctx.signal
// between steps and kill their child processes) install one, and only its first signal is theirs: it
// aborts and says so; the second removes the handler and re-raises the signal, which ends the process.
// Every other command keeps the default action, which ends it at once: their writes are crash-safe (the
// store survives SIGKILL; an export is renamed into place).

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Installs the handler; returns its removal. `abort` is called once, at the first signal. */
export function stopOnSignals(abort: (reason: Error) => void, note: (line: string) => void): () => void {
  let seen = false;
  const handler = (sig: NodeJS.Signals): void => {
    if (!seen) {
      seen = true;
      note(`avu: stopping (${sig}); send it again to stop at once.\n`);
      abort(new Error('interrupted'));
      return;
    }
    uninstall();
    process.kill(process.pid, sig);
  };
  const uninstall = (): void => {
    for (const s of SIGNALS) process.off(s, handler);
  };
  for (const s of SIGNALS) process.on(s, handler);
  return uninstall;
}
