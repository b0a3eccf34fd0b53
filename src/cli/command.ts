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
