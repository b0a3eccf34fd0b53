// The `avu` command: a thin front end over the core. Each subcommand lives in src/cli/commands/<name>.ts
// and exports `run(argv, io)`. Bad input: one line on stderr and a non-zero exit.
import { describeError, AvuError, UsageError } from '../core/errors';
import type { CliIo, Command } from './command';
import { stopOnSignals } from './signals';

const commands: Record<string, () => Promise<Command>> = {
  probe: async () => (await import('./commands/probe')).command,
  features: async () => (await import('./commands/features')).command,
  caption: async () => (await import('./commands/caption')).command,
  review: async () => (await import('./commands/review')).command,
  eval: async () => (await import('./commands/eval')).command,
  rules: async () => (await import('./commands/rules')).command,
  tasks: async () => (await import('./commands/tasks')).command,
  export: async () => (await import('./commands/export')).command,
  finetune: async () => (await import('./commands/finetune')).command,
  bench: async () => (await import('./commands/bench')).command,
};

function usage(): string {
  return [
    'Usage: avu <command> [options]',
    '',
    'Commands:',
    '  probe <clip> [--json]                      media information',
    '  features <clip> --out <dir>                the 8 frames, 8 spectrograms and features.json of a clip',
    '  caption <clip|dir> [--model DIR] [--device auto|cpu|cuda|webgpu] [--shard i/n] [--dataset DIR] [--no-store] [--json]',
    '  caption <dir> --slurm --array N [--slurm-config FILE]   the shards as a Slurm array job into the one store',
    '  review <dataset> [--clip C] [--qa ID] accept|reject|edit|reset | --undo | --redo | --accept-all | --list',
    '  eval --model DIR --set <dir> [--json]      accuracy per subset, negatives, audio reliance',
    '  eval --model NEW --baseline BASE (--set <dir> | --heldout) [--json]   one table: metric, base, new, difference',
    '  rules <dataset> [--json]                   consistency subsets, scores and filtering',
    '  tasks import --format ave|llp|avqa|avl|avs <file> --dataset <dir>',
    '  export <dataset> --format llava|sharegpt|dpo --out <dir>',
    '  finetune --dataset <dir> [--stage instruction|pretrain|both] [--base DIR] [--launcher local] [--config file] [--json]',
    '  bench [--json]                             benchmarks, as ratios against a Python reference',
    '',
    'Run `avu <command> --help` for a command\'s options.',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (!load) {
    io.stderr(`avu: unknown command '${name}'; run 'avu --help' for the list of commands.\n`);
    return 2;
  }
  const ac = new AbortController();
  let uninstall = (): void => undefined;
  try {
    const command = await load();
    if (command.signals !== 'default') uninstall = stopOnSignals((r) => ac.abort(r), (line) => io.stderr(line));
    return await command.run(rest, { ...io, signal: ac.signal });
  } catch (err) {
    io.stderr(`avu ${name}: ${describeError(err)}\n`);
    if (process.env.AVU_DEBUG && err instanceof Error && err.stack) io.stderr(err.stack + '\n');
    if (err instanceof UsageError) return 2;
    if (err instanceof AvuError && err.family === 'cancelled') return 130;
    return 1;
  } finally {
    uninstall();
  }
}

if (require.main === module) {
  // `avu review DIR --list | head`: a reader that goes away ends the output, not with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const io: CliIo = {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`avu: ${describeError(err)}\n`);
      process.exitCode = 1;
    },
  );
}
