// Runs the trainer as a child process of this one (issue 14 item 5, local). Cancel: SIGTERM to its process
// group, SIGKILL after a grace period. Its stdout's JSON lines are the events; stderr is kept for the error tail.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { checkTrainer } from './python-env';
import { LineSplitter, parseTrainerLine, Tail, type LaunchOptions, type Launcher, type RunResult, type TrainerJob } from './launcher';

const KILL_GRACE_MS = 5000;

export class LocalLauncher implements Launcher {
  readonly kind = 'local' as const;

  check(job: Pick<TrainerJob, 'python' | 'trainerDir'>, signal?: AbortSignal): Promise<void> {
    return checkTrainer(job.python, job.trainerDir, signal);
  }

  launch(job: TrainerJob, opts: LaunchOptions = {}): Promise<RunResult> {
    return new Promise((resolveRun) => {
      const log = createWriteStream(join(job.workDir, 'trainer.log'), { flags: 'a' });
      const env = { ...process.env, PYTHONPATH: [job.trainerDir, process.env.PYTHONPATH].filter(Boolean).join(':'), PYTHONUNBUFFERED: '1', OMP_NUM_THREADS: String(job.threads), AVU_PARENT_PID: String(process.pid) };
      const child = spawn(job.python, ['-m', 'avu_trainer.finetune', '--job', job.jobFile], { cwd: job.trainerDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const tail = new Tail(25);
      const out = new LineSplitter();
      const err = new LineSplitter();
      let metrics: Record<string, unknown> | undefined;
      let cancelled = false;
      let spawnError: Error | undefined;
      const onLine = (line: string): void => {
        log.write(line + '\n');
        const e = parseTrainerLine(line);
        if (!e) {
          opts.onLog?.(line);
          return;
        }
        if (e.event === 'done' && typeof e.metrics === 'object' && e.metrics !== null) metrics = e.metrics as Record<string, unknown>;
        opts.onEvent?.(e);
      };
      const onErrLine = (line: string): void => {
        log.write(line + '\n');
        tail.push(line);
        opts.onLog?.(line);
      };
      child.stdout.setEncoding('utf8').on('data', (c: string) => out.push(c).forEach(onLine));
      child.stderr.setEncoding('utf8').on('data', (c: string) => err.push(c).forEach(onErrLine));
      const killGroup = (sig: NodeJS.Signals): void => {
        try {
          if (child.pid) process.kill(-child.pid, sig);
        } catch {
          // already gone
        }
      };
      let killTimer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        cancelled = true;
        killGroup('SIGTERM');
        killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      };
      if (opts.signal?.aborted) onAbort();
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (e) => (spawnError = e));
      child.on('close', (code, sig) => {
        if (killTimer) clearTimeout(killTimer);
        opts.signal?.removeEventListener('abort', onAbort);
        out.flush().forEach(onLine);
        err.flush().forEach(onErrLine);
        log.end();
        if (spawnError) tail.push(spawnError.message);
        const state = cancelled ? 'cancelled' : code === 0 && metrics ? 'completed' : 'failed';
        const detail = sig ? `signal ${sig}` : spawnError ? `could not start (${spawnError.message})` : code === 0 && !metrics ? 'exited without its done event' : 'exited';
        resolveRun({ state, exitCode: code, detail, errorTail: tail.get(), ...(metrics ? { metrics } : {}) });
      });
    });
  }
}
