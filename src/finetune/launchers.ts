// The launchers by name. The Slurm launcher (slurm-launcher.ts, another engineer's) registers here.
import { UsageError } from '../core/errors';
import type { Launcher } from './launcher';
import { LocalLauncher } from './local-launcher';

export const LAUNCHERS = ['local', 'slurm'] as const;

export function createLauncher(kind: string): Launcher {
  if (kind === 'local') return new LocalLauncher();
  if (kind === 'slurm') throw new UsageError('not-yet-available', "--launcher slurm is not available in this build yet; use --launcher local.");
  throw new UsageError('bad-arguments', `--launcher ${kind} is not one of ${LAUNCHERS.join(', ')}.`);
}
