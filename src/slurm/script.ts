// The sbatch script, generated: every path and argument is a single-quoted shell word, so a dataset folder
// named `it's $HOME "x"` reaches the program byte for byte. The only unquoted text is what this file writes
// itself (bash keywords, `exec`, redirections) and Slurm variable names checked against a strict pattern.
import { UsageError } from '../core/errors';

/** A shell variable read at run time, e.g. SLURM_ARRAY_TASK_ID. */
export interface ShellVar {
  variable: string;
}

/** One word of a command: literal text and shell variables, concatenated (`"$SLURM_ARRAY_TASK_ID"'/4'`). */
export type ScriptWord = string | ReadonlyArray<string | ShellVar>;

export interface ScriptSpec {
  /** A comment line at the top (what the job is); newlines are removed. */
  title: string;
  /** Folder the job starts in. */
  cwd: string;
  /** Environment set before the command (names checked; values quoted). */
  env?: Record<string, ScriptWord>;
  /** The program and its arguments; the script execs it, so its exit code is the job's. */
  argv: readonly ScriptWord[];
  /** Where the command's stdout goes (appended); an array job names its task in the path with a ShellVar. */
  stdout: ScriptWord;
  /** Where its stderr goes (appended); default: with stdout. */
  stderr?: ScriptWord;
}

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One single-quoted shell word: `'` becomes `'\''`; nothing inside single quotes is expanded. */
export function shellQuote(text: string): string {
  if (text.includes('\0')) throw new UsageError('bad-arguments', 'A path or argument for the Slurm job holds a NUL byte, which no shell word can carry.');
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function shellWord(word: ScriptWord): string {
  if (typeof word === 'string') return shellQuote(word);
  if (word.length === 0) return "''";
  return word
    .map((part) => {
      if (typeof part === 'string') return part === '' ? '' : shellQuote(part);
      if (!VAR_NAME.test(part.variable)) throw new UsageError('bad-arguments', `${JSON.stringify(part.variable)} is not a shell variable name.`);
      return `"\${${part.variable}}"`;
    })
    .join('');
}

/** The script's text: bash, strict mode, cd, env, output redirections, then exec of the command. */
export function renderScript(spec: ScriptSpec): string {
  const lines = ['#!/bin/bash', `# ${spec.title.replace(/[\r\n]+/g, ' ')}`, 'set -euo pipefail'];
  const out = shellWord(spec.stdout);
  lines.push(`exec >>${out} 2>>${spec.stderr === undefined ? out : shellWord(spec.stderr)}`);
  lines.push(`cd -- ${shellQuote(spec.cwd)}`);
  for (const [name, value] of Object.entries(spec.env ?? {})) {
    if (!VAR_NAME.test(name)) throw new UsageError('bad-arguments', `${JSON.stringify(name)} is not an environment variable name.`);
    lines.push(`export ${name}=${shellWord(value)}`);
  }
  if (spec.argv.length === 0) throw new UsageError('bad-arguments', 'The Slurm job has no command.');
  lines.push(`exec ${spec.argv.map(shellWord).join(' ')}`);
  return lines.join('\n') + '\n';
}
