// Reading Slurm's answers: job states, exit codes and array task ids from squeue, sacct and scontrol output.
// Pure functions; client.ts runs the programs.

/** One job, or one task of an array job, as Slurm reports it. */
export interface TaskState {
  /** Slurm's id of it: "12" for a job, "12_3" for task 3 of array job 12. */
  id: string;
  /** The array index, undefined for a job that is not an array. */
  task: number | undefined;
  /** Slurm's state word (COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, PENDING, RUNNING, …). */
  state: string;
  /** The job script's exit code, null when Slurm has not said. */
  exitCode: number | null;
  /** The signal that ended it (0 for none), null when Slurm has not said. */
  signal: number | null;
}

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'REVOKED']);

/** Whether the state is an end (no more changes); UNKNOWN counts as one, it is what we give up with. */
export function isTerminal(state: string): boolean {
  return TERMINAL.has(state) || state === 'UNKNOWN';
}

/** "CANCELLED by 0" → "CANCELLED", "cancelled+" → "CANCELLED". */
export function stateWord(text: string): string {
  return (text.trim().split(/\s+/)[0] ?? '').replace(/\+$/, '').toUpperCase();
}

/** sacct's and scontrol's "code:signal"; anything else (N/A, empty) is unknown. */
export function parseExitCode(text: string): { exitCode: number | null; signal: number | null } {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  return m ? { exitCode: Number(m[1]), signal: Number(m[2]) } : { exitCode: null, signal: null };
}

/** "3", "2-5", "1,3-5%2" (a pending array's ranges, with its %limit) → the indices. */
export function expandIndices(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.replace(/%\d+$/, '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    const step = m[3] === undefined ? 1 : Math.max(1, Number(m[3]));
    for (let i = lo; i <= hi; i += step) out.push(i);
  }
  return out;
}

/** A job id column ("12", "12_3", "12_[2-3]") → one id per task. */
export function expandJobId(text: string): Array<{ id: string; task: number | undefined }> {
  const t = text.trim();
  const m = /^(\d+)_(?:\[([^\]]+)\]|(\d+))$/.exec(t);
  if (!m) return /^\d+$/.test(t) ? [{ id: t, task: undefined }] : [];
  const tasks = m[3] !== undefined ? [Number(m[3])] : expandIndices(m[2] ?? '');
  return tasks.map((task) => ({ id: `${m[1]}_${task}`, task }));
}

/** `squeue -h -r -o %i|%T` lines. */
export function parseSqueue(stdout: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of stdout.split('\n')) {
    const [id, state] = line.split('|');
    if (!id || !state) continue;
    for (const t of expandJobId(id)) out.push({ ...t, state: stateWord(state), exitCode: null, signal: null });
  }
  return out;
}

/** `sacct -n -X -P -o JobID,State,ExitCode` lines. */
export function parseSacct(stdout: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of stdout.split('\n')) {
    const [id, state, exit] = line.split('|');
    if (!id || !state) continue;
    for (const t of expandJobId(id)) out.push({ ...t, state: stateWord(state), ...parseExitCode(exit ?? '') });
  }
  return out;
}

/** `scontrol -o show job ID` lines (one per job or array task; the first JobState= and ExitCode= are the job's own). */
export function parseScontrol(stdout: string): TaskState[] {
  const out: TaskState[] = [];
  const field = (line: string, key: string): string | undefined => new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(line)?.[1];
  for (const line of stdout.split('\n')) {
    const jobId = field(line, 'JobId');
    const state = field(line, 'JobState');
    if (!jobId || !state) continue;
    const arrayJob = field(line, 'ArrayJobId');
    const taskSpec = field(line, 'ArrayTaskId');
    const ids = arrayJob && taskSpec ? expandIndices(taskSpec).map((task) => ({ id: `${arrayJob}_${task}`, task })) : [{ id: jobId, task: undefined }];
    for (const t of ids) out.push({ ...t, state: stateWord(state), ...parseExitCode(field(line, 'ExitCode') ?? '') });
  }
  return out;
}

/** "COMPLETED (exit 0)", "FAILED (exit 3)", "CANCELLED (signal 15)". */
export function describeTask(t: TaskState): string {
  if (t.exitCode === null) return t.state;
  return `${t.state} (exit ${t.exitCode}${t.signal ? `, signal ${t.signal}` : ''})`;
}
