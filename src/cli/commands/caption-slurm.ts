// avu caption <dataset> --slurm --array N: one Slurm array job of N tasks, task i running
// `avu caption <dir> --shard i/N --dataset <root>` into the one store (shards cover the folder exactly once, and
// each writes its own journal, so nothing is lost or duplicated); then waits for the array and reports each
// task's state and exit code as Slurm has them. The job's script and task logs: <root>/.avu/slurm/<run>/.
// Assumes what any Slurm site has: the nodes see this install of Node and avu and the dataset at the same paths.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CancelledError, UsageError } from '../../core/errors';
import { STORE_DIR } from '../../dataset';
import { listClips } from '../../inference/clips';
import { SlurmClient } from '../../slurm/client';
import { sbatchResourceArgs, type SlurmResources } from '../../slurm/resources';
import { renderScript, type ScriptWord } from '../../slurm/script';
import { describeTask, type TaskState } from '../../slurm/states';
import type { RunContext } from '../command';

export interface SlurmCaptionRequest {
  /** The folder of clips (absolute). */
  dir: string;
  /** The dataset root the store lives in (absolute). */
  root: string;
  count: number;
  resources: SlurmResources;
  /** caption options every task gets (--model, --device, sampling), already absolute where they are paths. */
  taskArgs: string[];
}

const TASK: ScriptWord = [{ variable: 'SLURM_ARRAY_TASK_ID' }];

/** `avu` as this process was started (node, its loader flags, the CLI script), to run again on the nodes. */
export function avuArgv(): string[] {
  const script = process.argv[1];
  if (!script) throw new UsageError('no-cli-path', 'Cannot tell which avu program is running, so the Slurm tasks could not run it; start avu through its script (node dist/cli.js).');
  return [process.execPath, ...process.execArgv, resolve(script)];
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

async function lastLine(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').filter((l) => l.trim()).pop()?.trim() ?? '(empty log)';
}

export async function captionOnSlurm(req: SlurmCaptionRequest, ctx: RunContext): Promise<number> {
  if (!Number.isInteger(req.count) || req.count < 1 || req.count > 10_000) {
    throw new UsageError('bad-arguments', `--array ${req.count} is not a whole number of tasks from 1 to 10000.`);
  }
  const clips = await listClips(req.dir);
  if (clips.length === 0) {
    ctx.stderr(`avu caption: no clips in ${req.dir}; nothing submitted.\n`);
    return 0;
  }
  const avuDir = join(req.root, STORE_DIR);
  const hadStore = await stat(avuDir).then(() => true, () => false);
  const slurmDir = join(avuDir, 'slurm');
  const runDir = join(slurmDir, `caption-${stamp()}-${process.pid}`);
  await mkdir(runDir, { recursive: true });
  await writeFile(join(slurmDir, '.gitignore'), '*\n');
  const logOf = (task: number | undefined): string => join(runDir, `task-${task ?? 0}.log`);
  const script = join(runDir, 'caption.sbatch');
  await writeFile(
    script,
    renderScript({
      title: `avu caption --slurm: ${clips.length} clips of ${req.dir} in ${req.count} shards`,
      cwd: req.root,
      argv: [...avuArgv(), 'caption', req.dir, '--dataset', req.root, '--shard', [...TASK, `/${req.count}`], ...req.taskArgs],
      stdout: [join(runDir, 'task-'), ...TASK, '.log'],
    }),
    { mode: 0o755 },
  );
  const slurm = new SlurmClient();
  const args = ['--job-name=avu-caption', `--array=0-${req.count - 1}`, '--output=/dev/null', ...sbatchResourceArgs(req.resources)];
  let job;
  try {
    job = await slurm.submit({ args, script, arrayCount: req.count, signal: ctx.signal });
  } catch (err) {
    // Nothing was submitted: leave the dataset as it was (no run folder, no .avu/ made just for it).
    await rm(hadStore ? runDir : avuDir, { recursive: true, force: true });
    throw err;
  }
  ctx.stderr(`avu caption: submitted Slurm array job ${job.jobId} (${req.count} tasks over ${clips.length} clips); logs in ${runDir}\n`);
  const seen = new Map<string, string>();
  const onChange = (tasks: TaskState[]): void => {
    for (const t of tasks) {
      if (seen.get(t.id) === t.state) continue;
      seen.set(t.id, t.state);
      if (t.state !== 'PENDING') ctx.stderr(`avu caption: task ${t.task} (${t.id}) ${t.state}\n`);
    }
  };
  const final = await slurm.wait(job, { signal: ctx.signal, onChange });
  const bad = final.filter((t) => t.state !== 'COMPLETED' || t.exitCode !== 0);
  for (const t of final) ctx.stderr(`avu caption: task ${t.task} (${t.id}): ${describeTask(t)}; log ${logOf(t.task)}\n`);
  if (ctx.signal.aborted) {
    ctx.stderr(`avu caption: cancelled Slurm job ${job.jobId} (scancel); what finished tasks wrote stays in the store.\n`);
    throw new CancelledError(ctx.signal.reason);
  }
  if (bad.length) {
    ctx.stderr(`avu caption: ${bad.length} of ${final.length} Slurm tasks did not complete:\n`);
    for (const t of bad) ctx.stderr(`  task ${t.task} (${t.id}) ${describeTask(t)}: ${await lastLine(logOf(t.task))} (log ${logOf(t.task)})\n`);
    return 1;
  }
  ctx.stderr(`avu caption: all ${final.length} Slurm tasks of job ${job.jobId} completed (exit 0); the store ${join(req.root, STORE_DIR)} has their records.\n`);
  return 0;
}
