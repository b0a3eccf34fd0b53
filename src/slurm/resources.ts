// What a job asks Slurm for, from a config object (a --slurm-config file, or the `slurm` block of the fine-tune
// config): each value checked, then handed to sbatch as its own argument (never through a shell or #SBATCH line).
import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors';

export interface SlurmResources {
  partition?: string;
  /** --cpus-per-task */
  cpus?: number;
  /** --mem, e.g. 4G or 500M */
  mem?: string;
  /** --time, e.g. 01:00:00, 30, 1-00:00:00 */
  time?: string;
  /** --gres, e.g. gpu:1 */
  gres?: string;
  /** --gpus, e.g. 1 or a100:2 */
  gpus?: string;
  account?: string;
  qos?: string;
}

const RULES: Record<keyof SlurmResources, { re: RegExp; example: string }> = {
  partition: { re: /^[A-Za-z0-9_.,-]+$/, example: 'debug' },
  cpus: { re: /^[1-9]\d{0,4}$/, example: '4' },
  mem: { re: /^[1-9]\d*[KMGT]?$/, example: '8G' },
  time: { re: /^(\d+-)?\d+(:\d{1,2}){0,2}$|^UNLIMITED$/, example: '01:00:00' },
  gres: { re: /^[A-Za-z0-9_:,.-]+$/, example: 'gpu:1' },
  gpus: { re: /^([A-Za-z0-9_.-]+:)?[1-9]\d*$/, example: '1' },
  account: { re: /^[A-Za-z0-9_.-]+$/, example: 'research' },
  qos: { re: /^[A-Za-z0-9_.-]+$/, example: 'normal' },
};
const KEYS = Object.keys(RULES) as Array<keyof SlurmResources>;

/** Checks a config object's Slurm keys; empty strings mean "Slurm's default". `where` names it in errors. */
export function parseResources(raw: Record<string, unknown>, where: string): SlurmResources {
  const out: SlurmResources = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(KEYS as string[]).includes(key)) throw new UsageError('bad-config', `${where}: unknown Slurm setting '${key}' (known: ${KEYS.join(', ')}).`);
    const k = key as keyof SlurmResources;
    if (value === '' || value === null) continue;
    const text = typeof value === 'number' ? String(value) : value;
    if (typeof text !== 'string' || !RULES[k].re.test(text)) {
      throw new UsageError('bad-config', `${where}: Slurm setting '${key}' is ${JSON.stringify(value)}; expected something like ${JSON.stringify(RULES[k].example)}.`);
    }
    if (k === 'cpus') out.cpus = Number(text);
    else out[k] = text;
  }
  return out;
}

/** A --slurm-config file: a JSON object of the keys above. */
export function loadResourcesFile(file: string): SlurmResources {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError('bad-config', `${file} is not a readable JSON file (${(err as Error).message}).`, { cause: err });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError('bad-config', `${file} must hold a JSON object of Slurm settings (${KEYS.join(', ')}).`);
  return parseResources(v as Record<string, unknown>, file);
}

/** The sbatch options for these resources, one argument each. */
export function sbatchResourceArgs(r: SlurmResources): string[] {
  const args: string[] = [];
  if (r.partition) args.push(`--partition=${r.partition}`);
  if (r.cpus) args.push(`--cpus-per-task=${r.cpus}`);
  if (r.mem) args.push(`--mem=${r.mem}`);
  if (r.time) args.push(`--time=${r.time}`);
  if (r.gres) args.push(`--gres=${r.gres}`);
  if (r.gpus) args.push(`--gpus=${r.gpus}`);
  if (r.account) args.push(`--account=${r.account}`);
  if (r.qos) args.push(`--qos=${r.qos}`);
  return args;
}
