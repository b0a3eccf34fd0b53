// The launchers by name: a child process here, or a Slurm batch job.
import { UsageError } from '../core/errors';
import type { Launcher } from './launcher';
import { LocalLauncher } from './local-launcher';
import { SlurmLauncher } from './slurm-launcher';

export const LAUNCHERS = ['local', 'slurm'] as const;

export function createLauncher(kind: string): Launcher {
  if (kind === 'local') return new LocalLauncher();
  if (kind === 'slurm') return new SlurmLauncher();
  throw new UsageError('bad-arguments', `--launcher ${kind} is not one of ${LAUNCHERS.join(', ')}.`);
}
