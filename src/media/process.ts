// A small typed wrapper over child_process.spawn for ffmpeg and ffprobe: no shell, an args array, an AbortSignal
// that kills the child, a timeout, stdout collected as a Buffer (raw frames, PCM) and the tail of stderr kept for
// error messages. Callers turn a ToolRunError into a MediaError sentence that names the clip.
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { basename, resolve } from 'node:path';
import { CancelledError, MediaError } from '../core/errors';

export interface RunToolOptions {
  signal?: AbortSignal | undefined;
  /** Kill the child after this many milliseconds (default 120 s). */
  timeoutMs?: number | undefined;
  /** Bytes written to the child's stdin, then stdin is closed. */
  input?: Uint8Array | undefined;
  /** Keep at most this many characters of stderr (default 8000). */
  stderrLimit?: number | undefined;
  /** Also collect a second output the child writes to file descriptor 3 (ffmpeg: `pipe:3`). */
  fd3?: boolean | undefined;
  /**
   * Stream stdout to this instead of collecting it (`stdout` in the result is then empty): long outputs in
   * bounded memory. `stream` may be paused and resumed (the child then waits on its pipe).
   */
  onStdout?: ((chunk: Buffer, stream: NodeJS.ReadableStream) => void) | undefined;
}

export interface StartToolOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  stderrLimit?: number | undefined;
  /** File descriptor 3 is an input the caller writes (ffmpeg: a filter script read from `pipe:3`). */
  fd3Input?: boolean | undefined;
}

/** A started tool: the caller writes its stdin (and fd 3) and ends them; `result` settles when it exits. */
export interface StartedTool {
  stdin: Writable;
  /** File descriptor 3, with `fd3Input`. */
  fd3: Writable | undefined;
  result: Promise<RunToolResult>;
  /** Kills the child; `result` then rejects. */
  kill(): void;
}

export interface RunToolResult {
  stdout: Buffer;
  /** What the child wrote to fd 3 (empty unless `fd3` was asked for). */
  fd3: Buffer;
  /** The last `stderrLimit` characters of stderr. */
  stderr: string;
}

/** A tool that ran and failed: exit code, and the tail of what it said. */
export class ToolRunError extends MediaError {
  constructor(
    readonly program: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('tool-failed', message, options);
  }
}

/** The last non-empty lines of a tool's stderr, for a message. */
export function tailLines(stderr: string, lines = 3): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .slice(-lines)
    .join(' | ');
}

/**
 * How a clip's path is handed to ffmpeg/ffprobe: always as a file. A bare name such as `concat:a.mp4|b.mp4`,
 * `http:x.mp4` or `pipe:1.mp4` would otherwise be read as that protocol (ffmpeg treats anything before a ':'
 * made of letters, digits, '+', '-' and '.' as one); `file:` with the absolute path names exactly that file.
 */
export function fileInput(file: string): string {
  return `file:${resolve(file)}`;
}

export function runTool(program: string, args: readonly string[], opts: RunToolOptions = {}): Promise<RunToolResult> {
  return launch(program, args, opts, false).result;
}

/**
 * Starts a tool whose stdin (and, with `fd3Input`, fd 3) the caller writes later: the process loads its ~200
 * libraries while the caller still works out what to feed it. Writes to a child that has exited are dropped; its
 * exit code and stderr tell why.
 */
export function startTool(program: string, args: readonly string[], opts: StartToolOptions = {}): StartedTool {
  const run = launch(program, args, { signal: opts.signal, timeoutMs: opts.timeoutMs, stderrLimit: opts.stderrLimit }, opts.fd3Input === true, true);
  if (!run.stdin) throw new Error('startTool: the child has no stdin');
  return { stdin: run.stdin, fd3: run.fd3, result: run.result, kill: run.kill };
}

interface Launched {
  result: Promise<RunToolResult>;
  stdin: Writable | undefined;
  fd3: Writable | undefined;
  kill: () => void;
}

function launch(program: string, args: readonly string[], opts: RunToolOptions, fd3Input: boolean, openStdin = false): Launched {
  const { signal, timeoutMs = 120_000, input, stderrLimit = 8000, fd3 = false } = opts;
  const launched: Launched = { result: Promise.resolve({ stdout: Buffer.alloc(0), fd3: Buffer.alloc(0), stderr: '' }), stdin: undefined, fd3: undefined, kill: () => undefined };
  launched.result = new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CancelledError(signal.reason));
      return;
    }
    const child = spawn(program, args, { stdio: [input || openStdin ? 'pipe' : 'ignore', 'pipe', 'pipe', ...(fd3 || fd3Input ? (['pipe'] as const) : [])], shell: false });
    if (openStdin && child.stdin) {
      // A child that exits early closes its inputs; that is reported through its exit code, not as EPIPE.
      child.stdin.on('error', () => undefined);
      launched.stdin = child.stdin;
    }
    const fd3Stream = child.stdio[3];
    if (fd3Input && fd3Stream && 'write' in fd3Stream) {
      fd3Stream.on('error', () => undefined);
      launched.fd3 = fd3Stream;
    }
    const chunks: Buffer[] = [];
    const chunks3: Buffer[] = [];
    let stderr = '';
    let settled = false;
    let timedOut = false;

    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const kill = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    launched.kill = kill;
    const onAbort = (): void => {
      kill();
      finish(() => reject(new CancelledError(signal?.reason)));
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    const sink = opts.onStdout;
    const out = child.stdout;
    if (out) out.on('data', sink ? (b: Buffer) => sink(b, out) : (b: Buffer) => chunks.push(b));
    const extra = fd3 ? fd3Stream : null;
    if (extra && 'on' in extra) extra.on('data', (b: Buffer) => chunks3.push(b));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (stderr.length > 2 * stderrLimit) stderr = stderr.slice(-stderrLimit);
    });
    if (input && child.stdin) {
      // A child that exits early closes its stdin; that is reported through its exit code, not as EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    }
    child.on('error', (err: NodeJS.ErrnoException) => {
      const name = basename(program);
      if (err.code === 'ENOENT')
        finish(() => reject(new ToolRunError(program, null, '', `${name} was not found at '${program}'; install ffmpeg or set avu.ffmpegPath / AVU_FFMPEG.`, { cause: err })));
      else if (err.code === 'EACCES')
        finish(() => reject(new ToolRunError(program, null, '', `${name} at '${program}' is not executable; run 'chmod u+x ${program}' or point avu.ffmpegPath / AVU_FFMPEG at another ffmpeg.`, { cause: err })));
      else finish(() => reject(new ToolRunError(program, null, '', `Could not run ${name}: ${err.message}.`, { cause: err })));
    });
    child.on('close', (code) => {
      stderr = stderr.slice(-stderrLimit);
      if (timedOut) {
        finish(() => reject(new ToolRunError(program, code, stderr, `${basename(program)} took longer than ${Math.round(timeoutMs / 1000)} s and was stopped.`)));
      } else if (code === 0) {
        finish(() => resolve({ stdout: Buffer.concat(chunks), fd3: Buffer.concat(chunks3), stderr }));
      } else {
        const tail = tailLines(stderr);
        finish(() => reject(new ToolRunError(program, code, stderr, `${basename(program)} failed (exit ${code ?? 'signal'})${tail ? `: ${tail}` : ''}.`)));
      }
    });
  });
  return launched;
}
