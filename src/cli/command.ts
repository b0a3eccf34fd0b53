import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../core/errors';

export interface CliIo {
  stdout(s: string): void;
  stderr(s: string): void;
}

export interface RunContext extends CliIo {
  signal: AbortSignal;
}

export interface Command {
  /**
   * 'default': the command keeps the default action of SIGINT/SIGTERM, which ends it at once, even in
   * synchronous work (its writes are crash-safe). Otherwise it stops cleanly at the first signal (it
   * checks ctx.signal between steps and kills its children) and ends at the second (signals.ts).
   */
  signals?: 'default';
  /** Returns the process exit code. Throws AvuError for bad input (printed as one line by main). */
  run(argv: string[], ctx: RunContext): Promise<number>;
}

/** node:util parseArgs, with its errors turned into one UsageError sentence. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: T,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new UsageError('bad-arguments', `${msg.replace(/\.$/, '')}; run 'avu ${command} --help' for its options.`, { cause: err });
  }
}

/** The store's `onLockWait` for a command: one line, so a wait for another process is never silent. */
export function lockWaitNote(command: string, io: CliIo): (holder: { pid: number; host: string }) => void {
  return (h) =>
    io.stderr(`avu ${command}: waiting for the dataset's compaction lock, held by process ${h.pid} on ${h.host} (another AVU window or command); what this command did is saved already.\n`);
}
