// The fine-tune hyper-parameters: trainer/configs/finetune.json (the defaults), then the user's --config file,
// then command-line overrides. Keys the trainer does not read (the split, the Slurm resources) are taken off here.
import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors';

export interface StageHyper {
  steps: number;
  batch_clips: number;
  lr: number;
  warmup: number;
  weight_decay: number;
}

export interface FinetuneConfig {
  instruction: StageHyper;
  pretrain: StageHyper;
  qa_per_clip: number;
  replay_share: number;
  replay_clips: number;
  replay_seed: number;
  seed: number;
  threads: number;
  log_every: number;
  /** Share of the clips held out (split.ts). */
  heldout_share: number;
  /** Resources for the Slurm launcher (partition, time, mem, gpus…); the local launcher ignores them. */
  slurm: Record<string, string | number>;
}

export const STAGES = ['instruction', 'pretrain', 'both'] as const;
export type FinetuneStage = (typeof STAGES)[number];

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function merge(base: Json, over: Json, where: string, path = ''): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const at = path ? `${path}.${k}` : k;
    if (!(k in base)) throw new UsageError('bad-config', `${where}: unknown fine-tune setting '${at}' (known: ${Object.keys(base).join(', ')}).`);
    const b = base[k];
    if (isObj(b) && k !== 'slurm') {
      if (!isObj(v)) throw new UsageError('bad-config', `${where}: '${at}' must be an object.`);
      out[k] = merge(b, v, where, at);
    } else if (k === 'slurm') {
      if (!isObj(v)) throw new UsageError('bad-config', `${where}: 'slurm' must be an object.`);
      out[k] = { ...(b as Json), ...v };
    } else {
      if (typeof v !== typeof b) throw new UsageError('bad-config', `${where}: '${at}' must be a ${typeof b}, got ${JSON.stringify(v)}.`);
      out[k] = v;
    }
  }
  return out;
}

function readJson(file: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError('bad-config', `${file} is not a readable JSON file (${(err as Error).message}).`, { cause: err });
  }
  if (!isObj(v)) throw new UsageError('bad-config', `${file} must hold a JSON object of fine-tune settings.`);
  return v;
}

export function loadFinetuneConfig(defaultsFile: string, userFile?: string, overrides: Json = {}): FinetuneConfig {
  let cfg = readJson(defaultsFile);
  if (!('heldout_share' in cfg)) cfg.heldout_share = 0.2;
  if (!('slurm' in cfg)) cfg.slurm = {};
  if (userFile) cfg = merge(cfg, readJson(userFile), userFile);
  cfg = merge(cfg, overrides, 'command line');
  const c = cfg as unknown as FinetuneConfig;
  if (!(c.replay_share >= 0 && c.replay_share < 1)) throw new UsageError('bad-config', `replay_share must be in [0, 1), got ${c.replay_share}.`);
  if (!(c.heldout_share > 0 && c.heldout_share < 1)) throw new UsageError('bad-config', `heldout_share must be in (0, 1), got ${c.heldout_share}.`);
  for (const s of ['instruction', 'pretrain'] as const) {
    if (!(Number.isInteger(c[s].steps) && c[s].steps >= 1)) throw new UsageError('bad-config', `${s}.steps must be a whole number ≥ 1, got ${c[s].steps}.`);
    if (!(c[s].lr > 0)) throw new UsageError('bad-config', `${s}.lr must be positive, got ${c[s].lr}.`);
  }
  return c;
}

/** The part of the config the trainer reads (finetune.py FinetuneConfig). */
export function trainerConfig(c: FinetuneConfig): Json {
  const { heldout_share: _h, slurm: _s, ...rest } = c;
  void _h;
  void _s;
  return rest;
}
