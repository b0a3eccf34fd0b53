import type { Command } from '../command';
import { UsageError } from '../../core/errors';

// Placeholder until its issue lands: says so plainly instead of pretending to work.
export const command: Command = {
  async run() {
    throw new UsageError('not-yet-available', "'avu finetune' is not available in this build yet.");
  },
};
