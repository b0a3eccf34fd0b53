// Runs the trainer as a Slurm batch job (issue 14 item 5, Slurm): the same `python -m avu_trainer.finetune --job`
// as the local launcher, in a generated sbatch script (every path single-quoted), resources from the fine-tune
// config's `slurm` block. Its stdout (the JSON lines) goes to trainer.log and its stderr to trainer.stderr.log in
// the run folder, both followed while the job runs. The end is Slurm's: state and exit code from sacct (scontrol
// where there is no accounting). Cancel: scancel, then wait until Slurm says the job has left the queue, so no
// trainer is still writing when the caller removes the partial bundle.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AvuError, FinetuneError } from '../core/errors';
import { SlurmClient } from '../slurm/client';
import { FileFollower } from '../slurm/follow';
import { parseResources, sbatchResourceArgs } from '../slurm/resources';
import { renderScript } from '../slurm/script';
import { describeTask, type TaskState } from '../slurm/states';
import { checkTrainer } from './python-env';
import { parseTrainerLine, Tail, type LaunchOptions, type Launcher, type RunResult, type TrainerJob } from './launcher';

export class SlurmLauncher implements Launcher {
  readonly kind = 'slurm' as const;

  constructor(private readonly slurm = new SlurmClient()) {}

  async check(job: Pick<TrainerJob, 'python' | 'trainerDir'>, signal?: AbortSignal): Promise<void> {
    try {
      const r = await this.slurm.run('sbatch', ['--version'], signal);
      if (r.code !== 0) throw new FinetuneError('no-slurm', `sbatch --version failed (${r.stderr.trim() || `exit ${r.code}`}); check the Slurm client setup (SLURM_CONF).`);
    } catch (err) {
      if (err instanceof AvuError && err.family === 'slurm') throw new FinetuneError('no-slurm', `${err.message} Or use --launcher local.`, { cause: err });
      throw err;
    }
    // The nodes run the same interpreter at the same path (a shared filesystem), so checking it here holds there.
    await checkTrainer(job.python, job.trainerDir, signal);
  }

  async launch(job: TrainerJob, opts: LaunchOptions = {}): Promise<RunResult> {
    const resources = parseResources(job.resources ?? {}, "the fine-tune config's slurm block");
    const log = join(job.workDir, 'trainer.log');
    const errLog = join(job.workDir, 'trainer.stderr.log');
    const script = join(job.workDir, 'trainer.sbatch');
    const pythonPath = [job.trainerDir, process.env.PYTHONPATH].filter(Boolean).join(':');
    await writeFile(
      script,
      renderScript({
        title: `avu finetune --launcher slurm: ${job.jobFile}`,
        cwd: job.trainerDir,
        env: { PYTHONPATH: pythonPath, PYTHONUNBUFFERED: '1', OMP_NUM_THREADS: String(job.threads) },
        argv: [job.python, '-m', 'avu_trainer.finetune', '--job', job.jobFile],
        stdout: log,
        stderr: errLog,
      }),
      { mode: 0o755 },
    );
    const args = ['--job-name=avu-finetune', '--output=/dev/null', ...sbatchResourceArgs({ cpus: job.threads, ...resources })];
    const submitted = await this.slurm.submit({ args, script, ...(opts.signal ? { signal: opts.signal } : {}) });
    opts.onEvent?.({ event: 'slurm', job: submitted.jobId, state: 'SUBMITTED', exit_code: null, signal: null, script, stdout: log, stderr: errLog });

    const tail = new Tail(25);
    let metrics: Record<string, unknown> | undefined;
    const out = new FileFollower(log, (line) => {
      const e = parseTrainerLine(line);
      if (!e) {
        tail.push(line);
        opts.onLog?.(line);
        return;
      }
      if (e.event === 'done' && typeof e.metrics === 'object' && e.metrics !== null) metrics = e.metrics as Record<string, unknown>;
      opts.onEvent?.(e);
    });
    const err = new FileFollower(errLog, (line) => {
      tail.push(line);
      opts.onLog?.(line);
    });
    let following = true;
    const follow = (async () => {
      while (following) {
        await out.poll();
        await err.poll();
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    let final: TaskState[];
    try {
      final = await this.slurm.wait(submitted, {
        ...(opts.signal ? { signal: opts.signal } : {}),
        onChange: (tasks) => tasks.forEach((t) => opts.onEvent?.({ event: 'slurm', job: t.id, state: t.state, exit_code: t.exitCode, signal: t.signal })),
      });
    } finally {
      following = false;
      await follow;
      await out.finish();
      await err.finish();
    }
    const t = final[0] ?? { id: submitted.jobId, task: undefined, state: 'UNKNOWN', exitCode: null, signal: null };
    opts.onEvent?.({ event: 'slurm', job: t.id, state: t.state, exit_code: t.exitCode, signal: t.signal, ended: true, detail: describeTask(t) });
    const state = opts.signal?.aborted || t.state === 'CANCELLED' ? 'cancelled' : t.state === 'COMPLETED' && t.exitCode === 0 && metrics ? 'completed' : 'failed';
    const detail = t.state === 'COMPLETED' && t.exitCode === 0 && !metrics ? `ended as Slurm job ${t.id} COMPLETED without its done event` : `ended as Slurm job ${t.id} ${t.state}`;
    return { state, exitCode: t.exitCode, detail, errorTail: tail.get(), ...(metrics ? { metrics } : {}) };
  }
}
