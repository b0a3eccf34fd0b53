// The error family of STYLE.md: one class per failure family, a stable `code`, a `cause`,
// and a message that is one sentence saying what is wrong and what to do.

export type ErrorFamily = 'media' | 'model' | 'dataset' | 'finetune' | 'slurm' | 'usage' | 'cancelled';

export abstract class AvuError extends Error {
  abstract readonly family: ErrorFamily;
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class MediaError extends AvuError {
  readonly family = 'media' as const;
}
export class ModelError extends AvuError {
  readonly family = 'model' as const;
}
export class DatasetError extends AvuError {
  readonly family = 'dataset' as const;
}
export class FinetuneError extends AvuError {
  readonly family = 'finetune' as const;
}
/** Slurm's programs missing, refusing a job, or answering in a way we cannot read. */
export class SlurmError extends AvuError {
  readonly family = 'slurm' as const;
}
/** Bad command-line or API arguments. */
export class UsageError extends AvuError {
  readonly family = 'usage' as const;
}
export class CancelledError extends AvuError {
  readonly family = 'cancelled' as const;
  constructor(reason?: unknown) {
    super('cancelled', 'The operation was cancelled.', { cause: reason });
  }
}

/** Throws CancelledError if the signal has fired; call between chunks of long work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError(signal.reason);
}

/** One line for a person: the message of an AvuError, or a generic sentence for anything else. */
export function describeError(err: unknown): string {
  if (err instanceof AvuError) return err.message;
  if (err instanceof Error) return `Unexpected error: ${err.message}`;
  return `Unexpected error: ${String(err)}`;
}
