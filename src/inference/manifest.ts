// The bundle manifest of docs/bundle.md (schema version 1): its type and the schema check that
// turns a malformed manifest into one sentence naming the field.
import Ajv from 'ajv';
import { ModelError } from '../core/errors';

export type GraphName = 'av_encoder' | 'embed_tokens' | 'decoder';
export const GRAPH_NAMES: readonly GraphName[] = ['av_encoder', 'embed_tokens', 'decoder'];

export interface TensorSpec {
  name: string;
  dtype: string;
  shape: Array<number | string>;
}

export interface GraphSpec {
  file: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export interface QuestionTemplate {
  subset: string;
  modality: string;
  q: string;
}

export interface Manifest {
  schemaVersion: 1;
  name: string;
  version: string;
  architecture: 'dolphin';
  preprocessing: {
    frames: { count: number; size: number; resize: string; crop: string; mean: number[]; std: number[] };
    audio: {
      sampleRateHz: number;
      segmentS: number;
      melBins: number;
      targetFrames: number;
      frameLengthMs: number;
      frameShiftMs: number;
      normMean: number;
      normStd: number;
    };
  };
  graphs: Record<GraphName, GraphSpec>;
  tokenizer: { file: string };
  specialTokens: { bos: string; eos: string; pad: string; bosId: number; eosId: number; padId: number };
  prefix: { length: number; layout: Array<{ kind: string; count: number }> };
  decoder: { layers: number; heads: number; headDim: number; hiddenSize: number; vocabSize: number; maxPositions: number };
  prompts: {
    template: string;
    stop: string[];
    tasks: Record<string, string>;
    questions: QuestionTemplate[];
    metaFormat: string;
    /** Values the model knows for a template's {placeholders} (AVU-Synth's shapes and sounds); optional. */
    placeholders?: Record<string, string[]>;
  };
  /** The trainable weights (docs/bundle.md "weights"); a bundle without them can be run, not trained from. */
  weights?: BundleWeights;
  /** Where a fine-tuned bundle came from (docs/bundle.md "lineage"); absent on bundles trained from scratch. */
  lineage?: Record<string, unknown>;
  files: Record<string, string>;
}

export interface BundleWeights {
  file: string;
  format: 'safetensors';
  dtype: string;
  parameters: number;
}

const posInt = { type: 'integer', minimum: 1 };
const str = { type: 'string', minLength: 1 };
const num = { type: 'number' };
const tensorSpec = {
  type: 'object',
  required: ['name', 'dtype', 'shape'],
  properties: { name: str, dtype: str, shape: { type: 'array', items: { type: ['integer', 'string'] } } },
};
const graphSpec = {
  type: 'object',
  required: ['file', 'inputs', 'outputs'],
  properties: { file: str, inputs: { type: 'array', items: tensorSpec }, outputs: { type: 'array', items: tensorSpec } },
};

const schema = {
  type: 'object',
  required: ['schemaVersion', 'name', 'version', 'architecture', 'preprocessing', 'graphs', 'tokenizer', 'specialTokens', 'prefix', 'decoder', 'prompts', 'files'],
  properties: {
    schemaVersion: { const: 1 },
    name: str,
    version: str,
    architecture: { const: 'dolphin' },
    preprocessing: {
      type: 'object',
      required: ['frames', 'audio'],
      properties: {
        frames: {
          type: 'object',
          required: ['count', 'size', 'mean', 'std'],
          properties: { count: posInt, size: posInt, mean: { type: 'array', items: num, minItems: 3, maxItems: 3 }, std: { type: 'array', items: num, minItems: 3, maxItems: 3 } },
        },
        audio: {
          type: 'object',
          required: ['sampleRateHz', 'segmentS', 'melBins', 'targetFrames', 'normMean', 'normStd'],
          properties: { sampleRateHz: posInt, segmentS: num, melBins: posInt, targetFrames: posInt, normMean: num, normStd: num },
        },
      },
    },
    graphs: {
      type: 'object',
      required: ['av_encoder', 'embed_tokens', 'decoder'],
      properties: { av_encoder: graphSpec, embed_tokens: graphSpec, decoder: graphSpec },
    },
    tokenizer: { type: 'object', required: ['file'], properties: { file: str } },
    specialTokens: {
      type: 'object',
      required: ['bos', 'eos', 'pad', 'bosId', 'eosId', 'padId'],
      properties: { bos: str, eos: str, pad: str, bosId: { type: 'integer' }, eosId: { type: 'integer' }, padId: { type: 'integer' } },
    },
    prefix: {
      type: 'object',
      required: ['length', 'layout'],
      properties: {
        length: posInt,
        layout: { type: 'array', items: { type: 'object', required: ['kind', 'count'], properties: { kind: str, count: posInt } } },
      },
    },
    decoder: {
      type: 'object',
      required: ['layers', 'heads', 'headDim', 'hiddenSize', 'vocabSize', 'maxPositions'],
      properties: { layers: posInt, heads: posInt, headDim: posInt, hiddenSize: posInt, vocabSize: posInt, maxPositions: posInt },
    },
    prompts: {
      type: 'object',
      required: ['template', 'stop', 'tasks', 'questions', 'metaFormat'],
      properties: {
        template: str,
        stop: { type: 'array', items: str },
        tasks: {
          type: 'object',
          required: ['caption_audio', 'caption_visual', 'caption_av', 'meta_audio', 'meta_visual'],
          additionalProperties: { type: 'string' },
        },
        questions: {
          type: 'array',
          items: {
            type: 'object',
            required: ['subset', 'modality', 'q'],
            properties: {
              subset: { enum: ['pretrain', 'multi_qa', 'specific', 'negative', 'tasks'] },
              modality: { enum: ['audio', 'visual', 'av'] },
              q: str,
            },
          },
        },
        metaFormat: str,
        placeholders: { type: 'object', additionalProperties: { type: 'array', items: str } },
      },
    },
    weights: {
      type: 'object',
      required: ['file', 'format', 'dtype', 'parameters'],
      properties: { file: str, format: { const: 'safetensors' }, dtype: str, parameters: posInt },
    },
    lineage: { type: 'object' },
    files: { type: 'object', additionalProperties: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
  },
};

const ajv = new Ajv({ allErrors: false, strict: false });
const validateManifest = ajv.compile<Manifest>(schema);

/** Checks a parsed manifest.json against schema version 1; throws ModelError naming the field. */
export function checkManifest(value: unknown, where: string): Manifest {
  if (validateManifest(value)) {
    const m = value;
    const counted = m.prefix.layout.reduce((n, part) => n + part.count, 0);
    if (counted !== m.prefix.length) {
      throw new ModelError('bad-manifest', `${where}: prefix.layout counts add up to ${counted}, expected prefix.length ${m.prefix.length}.`);
    }
    for (const g of GRAPH_NAMES) {
      if (!(m.graphs[g].file in m.files)) {
        throw new ModelError('bad-manifest', `${where}: files has no sha256 for ${m.graphs[g].file} (graph ${g}).`);
      }
    }
    if (!(m.tokenizer.file in m.files)) throw new ModelError('bad-manifest', `${where}: files has no sha256 for ${m.tokenizer.file}.`);
    if (m.weights && !(m.weights.file in m.files)) throw new ModelError('bad-manifest', `${where}: files has no sha256 for ${m.weights.file} (weights).`);
    return m;
  }
  const version = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).schemaVersion : undefined;
  if (version !== undefined && version !== 1) {
    throw new ModelError('unsupported-bundle', `${where}: schemaVersion ${String(version)} is not supported by this AVU Studio (it reads version 1); update AVU Studio or re-export the model.`);
  }
  const e = validateManifest.errors?.[0];
  const field = e ? (e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(top level)') : '(top level)';
  const detail = e?.message ?? 'is invalid';
  const allowed = e?.params && 'allowedValues' in e.params ? ` (${String(e.params.allowedValues)})` : '';
  throw new ModelError('bad-manifest', `${where}: ${field} ${detail}${allowed}; the bundle does not follow docs/bundle.md.`);
}
