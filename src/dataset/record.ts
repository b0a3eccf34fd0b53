// The AVU sample record of DESIGN.md (v1: extend, don't break). One per clip.

export const SUBSETS = ['pretrain', 'multi_qa', 'specific', 'negative', 'tasks'] as const;
export type Subset = (typeof SUBSETS)[number];

export const MODALITIES = ['audio', 'visual', 'av'] as const;
export type Modality = (typeof MODALITIES)[number];

export const META_FIELDS = ['event', 'object', 'scene', 'place', 'action', 'emotion'] as const;
export type MetaField = (typeof META_FIELDS)[number];
export type MetaKeywords = Record<MetaField, string[]>;

export interface MediaInfo {
  durationS: number;
  width: number;
  height: number;
  fps: number;
  hasAudio: boolean;
  /** Optional (v1 extension): false for a clip without a video stream (audio captions and Q&A only). */
  hasVideo?: boolean;
}

export type QaOrigin = 'model' | 'human' | 'task';
export type QaStatus = 'pending' | 'accepted' | 'rejected';

export interface QaItem {
  id: string;
  subset: Subset;
  modality: Modality;
  q: string;
  a: string;
  origin: QaOrigin;
  status: QaStatus;
  edit?: { a: string; at: string };
  /** Why a person rejected the item (optional; only on rejected items). */
  reason?: string;
  /**
   * Optional (v1 extension): two reviewers acted on this item, the later one on a view made before the
   * other's action. The item holds the later action's state; `other` is the state it overwrote (another
   * person's decision, kept). The next review of the item resolves it.
   */
  conflict?: QaConflict;
}

export interface QaConflict {
  /** When the later action was made. */
  at: string;
  /** The state the later action did not see: the other reviewer's decision. */
  other: { status: QaStatus; edit: { a: string; at: string } | null; reason?: string };
}

export interface Scores {
  similarity: number | null;
  selfConsistency: number | null;
  annotation: number | null;
  confidence: number | null;
  kept: boolean;
}

export interface HistoryEntry {
  at: string;
  action: string;
  qaId?: string;
  before?: unknown;
  after?: unknown;
  /** Id of the store action that wrote this entry (`<writer>:<seq>`); makes replaying a journal idempotent. */
  op?: string;
  /** For `undo` / `redo`: the op id of the review action undone or redone. */
  target?: string;
}

/** Labels a sample brings from its source (a task file, a folder name, a generator's ground truth). */
export interface SourceAnnotation {
  /** ave | llp | avqa | avl | avs | folder | avu-synth | … */
  dataset: string;
  labels: string[];
  /** A generator's own consistency level, where it has one (AVU-Synth). */
  level?: 'high' | 'medium' | 'low';
}

export interface AvuSample {
  id: string;
  /** Path relative to the dataset root, with forward slashes. */
  clip: string;
  media: MediaInfo;
  model: { name: string; version: string };
  captions: { audio: string; visual: string; av: string };
  meta: { audio: MetaKeywords; visual: MetaKeywords };
  consistency: number;
  subset: Subset;
  scores: Scores;
  qa: QaItem[];
  history: HistoryEntry[];
  /** Optional (v1 extension): the source annotation that the annotation-agreement score compares with. */
  source?: SourceAnnotation;
}

export function emptyMeta(): MetaKeywords {
  return { event: [], object: [], scene: [], place: [], action: [], emotion: [] };
}
