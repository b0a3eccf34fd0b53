// Talks to Slurm through its programs (sbatch, squeue, sacct, scontrol, scancel), each run with an argument
// array, never through a shell. SLURM_CONF and PATH come from the environment, as for any Slurm user.
import { spawn } from 'node:child_process';
import { CancelledError, SlurmError } from '../core/errors';
import { isTerminal, parseSacct, parseScontrol, parseSqueue, type TaskState } from './states';

export interface Submitted {
  jobId: string;
  /** The array indices, or [undefined] for a plain job. */
  tasks: Array<number | undefined>;
}

export interface SubmitOptions {
  /** sbatch options (resources, --job-name, --array=…); the script file comes last. */
  args: readonly string[];
  script: string;
  /** Array indices this submission creates (for waiting); omit for a plain job. */
  arrayCount?: number;
  signal?: AbortSignal;
}

export interface WaitOptions {
  /** Abort = scancel the job, then wait for Slurm to say it ended (its final states are still returned). */
  signal?: AbortSignal;
  /** Called whenever a task's state changes. */
  onChange?: (tasks: TaskState[]) => void;
  pollMs?: number;
  /** How long sacct may lag squeue before we fall back to scontrol (default 60 s). */
  accountingWaitMs?: number;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class SlurmClient {
  /** Runs one Slurm program; a missing program is a SlurmError that says how to get it. */
  async run(program: string, args: readonly string[], signal?: AbortSignal): Promise<Ran> {
    return new Promise((resolveRun, reject) => {
      const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.on('error', (err: NodeJS.ErrnoException) => {
        if (err.name === 'AbortError') reject(new CancelledError(signal?.reason));
        else if (err.code === 'ENOENT') reject(new SlurmError('no-slurm', `${program} was not found on PATH; run this on a Slurm login node, or install Slurm's client programs (Debian: apt-get install slurm-client).`, { cause: err }));
        else reject(new SlurmError('slurm-spawn', `${program} could not be started (${err.message}).`, { cause: err }));
      });
      child.on('close', (code) => resolveRun({ code, stdout, stderr }));
    });
  }

  /** sbatch --parsable: the job id. */
  async submit(opts: SubmitOptions): Promise<Submitted> {
    const r = await this.run('sbatch', ['--parsable', ...opts.args, opts.script], opts.signal);
    const jobId = /^(\d+)(;\S+)?$/.exec(r.stdout.trim())?.[1];
    if (r.code !== 0 || !jobId) {
      const why = r.stderr.trim().split('\n').pop() || `exit ${r.code}`;
      const hint = /configuration source|slurm\.conf/i.test(why) ? ' (is SLURM_CONF set, or /etc/slurm/slurm.conf there?)' : '';
      throw new SlurmError('sbatch-refused', `sbatch refused the job: ${why.replace(/^sbatch: (error|fatal): /, '').replace(/\.$/, '')}${hint}.`);
    }
    const tasks = opts.arrayCount === undefined ? [undefined] : Array.from({ length: opts.arrayCount }, (_v, i) => i);
    return { jobId, tasks };
  }

  /** scancel of the job (every task of an array); a job that already ended is not an error. */
  async cancel(jobId: string): Promise<void> {
    const r = await this.run('scancel', [jobId]);
    if (r.code !== 0 && !/Invalid job id|already completing or completed/i.test(r.stderr)) {
      throw new SlurmError('scancel-failed', `scancel ${jobId} failed: ${r.stderr.trim() || `exit ${r.code}`}.`);
    }
  }

  /** Tasks of the job that squeue still lists as queued or running (empty once it left the queue). */
  async active(jobId: string): Promise<TaskState[]> {
    const r = await this.run('squeue', ['-h', '-r', '-j', jobId, '-o', '%i|%T']);
    if (r.code !== 0) {
      if (/Invalid job id/i.test(r.stderr)) return [];
      throw new SlurmError('squeue-failed', `squeue -j ${jobId} failed: ${r.stderr.trim() || `exit ${r.code}`}; is slurmctld reachable (scontrol ping)?`);
    }
    return parseSqueue(r.stdout).filter((t) => !isTerminal(t.state));
  }

  /** What sacct knows (undefined when accounting is not set up), else scontrol (finished jobs kept for MinJobAge). */
  async accounting(jobId: string): Promise<TaskState[] | undefined> {
    const r = await this.run('sacct', ['-n', '-X', '-P', '-o', 'JobID,State,ExitCode', '-j', jobId]);
    return r.code === 0 ? parseSacct(r.stdout) : undefined;
  }

  async controller(jobId: string): Promise<TaskState[]> {
    const r = await this.run('scontrol', ['-o', 'show', 'job', jobId]);
    return r.code === 0 ? parseScontrol(r.stdout) : [];
  }

  /** Polls until every task ended; returns their final states (sacct's exit codes, scontrol's when sacct has none). */
  async wait(job: Submitted, opts: WaitOptions = {}): Promise<TaskState[]> {
    const pollMs = opts.pollMs ?? 500;
    const byId = new Map<string, TaskState>();
    const idOf = (task: number | undefined): string => (task === undefined ? job.jobId : `${job.jobId}_${task}`);
    for (const task of job.tasks) byId.set(idOf(task), { id: idOf(task), task, state: 'PENDING', exitCode: null, signal: null });
    const merge = (seen: TaskState[]): void => {
      let changed = false;
      for (const t of seen) {
        const was = byId.get(t.id);
        if (!was) continue;
        if (was.state !== t.state || was.exitCode !== t.exitCode) changed = true;
        byId.set(t.id, t);
      }
      if (changed) opts.onChange?.([...byId.values()]);
    };
    let cancelling: Promise<void> | undefined;
    const onAbort = (): void => {
      cancelling = this.cancel(job.jobId);
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (cancelling) await cancelling;
        const active = await this.active(job.jobId);
        merge(active);
        if (active.length === 0) break;
        await sleep(pollMs);
      }
      opts.signal?.removeEventListener('abort', onAbort);
      if (cancelling) await cancelling;
      // The job left the queue; sacct may need a moment to hold its end (it lags squeue).
      const deadline = Date.now() + (opts.accountingWaitMs ?? 60_000);
      const ended = (): boolean => [...byId.values()].every((t) => isTerminal(t.state) && t.exitCode !== null);
      for (;;) {
        const acct = await this.accounting(job.jobId);
        if (acct === undefined) break;
        merge(acct);
        if (ended() || Date.now() > deadline) break;
        await sleep(pollMs);
      }
      if (!ended()) merge(await this.controller(job.jobId));
      const final = [...byId.values()].map((t) => (isTerminal(t.state) ? t : { ...t, state: 'UNKNOWN' }));
      return final;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }
}
