// The seam between `avu finetune` (run.ts: lock, fine-tune set, job file, lineage, atomic bundle) and where the
// trainer runs. A launcher only runs `python -m avu_trainer.finetune --job <jobFile>` somewhere, streams its JSON
// lines back and says how it ended; everything else is shared. local-launcher.ts runs a child process; a Slurm
// launcher submits the same command with sbatch and reads the same lines from its log.

/** Everything a launcher needs; all paths absolute, all on a filesystem the trainer can see. */
export interface TrainerJob {
  /** job.json for the trainer (its fields: trainer/avu_trainer/finetune.py). */
  jobFile: string;
  /** Folder of this run: the launcher may put its logs and scripts here (trainer.log, job.sbatch, …). */
  workDir: string;
  /** Where the trainer writes the new bundle; the caller renames it into place after `completed`. */
  outDir: string;
  /** The Python interpreter (resolved by python-env.ts: --python, the machine setting, the project's .venv). */
  python: string;
  /** The folder that holds the avu_trainer package (put on PYTHONPATH). */
  trainerDir: string;
  /** CPU threads the trainer may use (Slurm: --cpus-per-task). */
  threads: number;
  /** Launcher-specific resources from the fine-tune config (Slurm: partition, time, gpus, mem); local ignores them. */
  resources?: Record<string, string | number>;
}

/** One JSON line of the trainer's stdout (finetune.py `log`); unknown events pass through. */
export type TrainerEvent =
  | { event: 'start'; base: string; stages: string[]; train_clips: number; heldout_clips: number; steps: number }
  | { event: 'replay_cache'; clips: number; of: number }
  | { event: 'stage'; stage: string; steps: number; trainable: number; train_clips: number; replay_clips: number }
  | { event: 'step'; stage: string; step: number; steps: number; loss: number; lr: number; samples_per_s: number; eta_s: number }
  | { event: 'stage_done'; stage: string; steps: number; wall_s: number }
  | { event: 'export'; out: string }
  | { event: 'done'; out: string; metrics: Record<string, unknown> }
  | { event: string; [key: string]: unknown };

export type RunState = 'completed' | 'failed' | 'cancelled';

export interface RunResult {
  state: RunState;
  /** The trainer's exit code (Slurm: from sacct), null when it never started or was killed by a signal. */
  exitCode: number | null;
  /** The scheduler's own word for the end (local: 'exited' | 'signal SIGTERM'; Slurm: COMPLETED, FAILED, CANCELLED, TIMEOUT…). */
  detail: string;
  /** The last lines of the trainer's stderr (or of its log), for the error message. */
  errorTail: string[];
  /** The `done` event's metrics, when it arrived. */
  metrics?: Record<string, unknown>;
}

export interface LaunchOptions {
  /** Abort = cancel: the launcher stops the trainer (SIGTERM then SIGKILL; scancel) and resolves `cancelled`. */
  signal?: AbortSignal;
  onEvent?: (e: TrainerEvent) => void;
  /** Lines that are not JSON events (warnings, the scheduler's notes), for a log or an output channel. */
  onLog?: (line: string) => void;
}

export interface Launcher {
  readonly kind: 'local' | 'slurm';
  /** Throws a FinetuneError whose message says how to fix it (Python or the trainer missing, sbatch missing). */
  check(job: Pick<TrainerJob, 'python' | 'trainerDir'>, signal?: AbortSignal): Promise<void>;
  /** Runs the job to its end. Resolves for every end (failed and cancelled included); rejects only on misuse. */
  launch(job: TrainerJob, opts?: LaunchOptions): Promise<RunResult>;
}


/** Splits a chunked stream into lines; `flush` returns what is left. */
export class LineSplitter {
  private rest = '';
  push(chunk: string): string[] {
    const parts = (this.rest + chunk).split('\n');
    this.rest = parts.pop() ?? '';
    return parts;
  }
  flush(): string[] {
    const r = this.rest;
    this.rest = '';
    return r ? [r] : [];
  }
}

/** A trainer stdout line as an event, or undefined when it is not one (plain text goes to onLog). */
export function parseTrainerLine(line: string): TrainerEvent | undefined {
  const t = line.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(t) as unknown;
    if (typeof v === 'object' && v !== null && typeof (v as { event?: unknown }).event === 'string') return v as TrainerEvent;
  } catch {
    // not JSON after all: a log line
  }
  return undefined;
}

/** Keeps the last `max` lines. */
export class Tail {
  private lines: string[] = [];
  constructor(private readonly max = 20) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  get(): string[] {
    return [...this.lines];
  }
}
