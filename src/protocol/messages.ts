// Host <-> review webview protocol: one file, a literal `type` per message, two unions, and the checks the host
// runs on everything the webview sends (an unknown or malformed message is logged and dropped, never used).
// Types only are imported from the dataset: the webview bundle carries no core code.
import type { AvuSample, Modality, Subset } from '../dataset/record';

export type ReviewAction = 'accept' | 'reject' | 'edit' | 'reset';
export const REVIEW_ACTIONS: readonly ReviewAction[] = ['accept', 'reject', 'edit', 'reset'];

/** Commands the host forwards from VS Code keybindings / the palette to the panel's focused item. */
export type PanelCommand = 'accept' | 'reject' | 'edit' | 'next' | 'previous' | 'acceptGroup' | 'help';
export const PANEL_COMMANDS: readonly PanelCommand[] = ['accept', 'reject', 'edit', 'next', 'previous', 'acceptGroup', 'help'];

/** Which prompt a streamed token belongs to (mirrors the pipeline's Stage, with the question for Q&A). */
export type StreamStage =
  | { kind: 'caption'; modality: Modality }
  | { kind: 'meta'; modality: 'audio' | 'visual' }
  | { kind: 'qa'; id: string; q: string; subset: Subset; modality: Modality };

export type CaptionPhase = 'idle' | 'features' | 'generating' | 'saving' | 'done' | 'failed' | 'cancelled';

export interface FrameView {
  /** Webview URI of the 224x224 PNG. */
  uri: string;
  /** t_i, seconds from the clip start. */
  timeS: number;
}

export interface MediaView {
  durationS: number;
  width: number;
  height: number;
  fps: number;
  hasAudio: boolean;
}

export interface ListenRow {
  qaId: string;
  q: string;
  modality: Modality;
  real: string;
  noise: string;
  silence: string;
  /** True when the answer with white noise (resp. silence) for audio equals the answer with the real audio. */
  sameWithNoise: boolean;
  sameWithSilence: boolean;
}

// ---- host -> webview -------------------------------------------------------------------------------

export interface InitMessage {
  type: 'init';
  clip: string;
  clipName: string;
  recordId: string;
  /** The model that (re-)captions from this panel: "name version on device". */
  modelLabel: string;
}
export interface FeaturesMessage {
  type: 'features';
  media: MediaView;
  frames: FrameView[];
  /** The 2 s audio segment of each frame. */
  segments: Array<{ startS: number; endS: number }>;
  /** [8,128,204] float32, ImageBind-normalised log-mel, row-major. */
  spectrograms: { shape: [number, number, number]; data: Float32Array };
}
export interface PreviewMessage {
  type: 'preview';
  /** Webview URI of the H.264 + MP3 preview, or null with the reason it could not be made. */
  uri: string | null;
  error?: string;
}
export interface RecordMessage {
  type: 'record';
  /** The store's record of the clip, or null when it has none yet. */
  record: AvuSample | null;
  canUndo: boolean;
  canRedo: boolean;
}
export interface CaptionStateMessage {
  type: 'captionState';
  phase: CaptionPhase;
  message?: string;
}
export interface TokenMessage {
  type: 'token';
  stage: StreamStage;
  /** New text since the previous token of this stage. */
  text: string;
}
export interface ListenMessage {
  type: 'listen';
  phase: 'running' | 'done' | 'failed';
  rows: ListenRow[];
  message?: string;
}
export interface CommandMessage {
  type: 'command';
  command: PanelCommand;
}
export interface ReplyMessage {
  type: 'reply';
  requestId: number;
  ok: boolean;
  /** One sentence for the user when ok is false. */
  error?: string;
}

export type ToWebview =
  | InitMessage | FeaturesMessage | PreviewMessage | RecordMessage | CaptionStateMessage | TokenMessage
  | ListenMessage | CommandMessage | ReplyMessage;

// ---- webview -> host -------------------------------------------------------------------------------

export interface ReadyMessage {
  type: 'ready';
}
export interface ReviewMessage {
  type: 'review';
  requestId: number;
  qaId: string;
  action: ReviewAction;
  /** The new answer (edit only). */
  answer?: string;
  /** Why it was rejected (reject only, optional). */
  reason?: string;
}
export interface AcceptGroupMessage {
  type: 'acceptGroup';
  requestId: number;
  subset: Subset;
}
export interface EditCaptionMessage {
  type: 'editCaption';
  requestId: number;
  modality: Modality;
  text: string;
}
export interface CaptionRequestMessage {
  type: 'caption';
}
export interface CancelMessage {
  type: 'cancel';
}
export interface ListenRequestMessage {
  type: 'listen';
}
/** The panel tells the host when a text field has focus, so single-letter keybindings stay out of typing. */
export interface TextInputMessage {
  type: 'textInput';
  active: boolean;
}

export type FromWebview =
  | ReadyMessage | ReviewMessage | AcceptGroupMessage | EditCaptionMessage | CaptionRequestMessage | CancelMessage
  | ListenRequestMessage | TextInputMessage;

// ---- checks (host side) ----------------------------------------------------------------------------

const SUBSET_NAMES: readonly Subset[] = ['pretrain', 'multi_qa', 'specific', 'negative', 'tasks'];
const MODALITY_NAMES: readonly Modality[] = ['audio', 'visual', 'av'];
/** Longest text the panel may send (an answer, a reason, a caption). */
export const MAX_TEXT = 20_000;
const MAX_ID = 200;

export type Checked = { ok: true; message: FromWebview } | { ok: false; error: string };

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
const isText = (v: unknown, max = MAX_TEXT): v is string => typeof v === 'string' && v.length <= max;
const isRequestId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function onlyKeys(o: Record<string, unknown>, keys: readonly string[]): string | null {
  for (const k of Object.keys(o)) if (!keys.includes(k)) return `unexpected field '${k.slice(0, 40)}'`;
  return null;
}

/** Checks a message from the webview against this protocol; the result names the first problem. */
export function checkFromWebview(v: unknown): Checked {
  if (!isObj(v)) return { ok: false, error: 'the message is not an object' };
  const bad = (error: string): Checked => ({ ok: false, error: `${String(v.type).slice(0, 40)}: ${error}` });
  const good = (m: FromWebview): Checked => ({ ok: true, message: m });
  switch (v.type) {
    case 'ready':
    case 'caption':
    case 'cancel':
    case 'listen': {
      const e = onlyKeys(v, ['type']);
      return e ? bad(e) : good({ type: v.type });
    }
    case 'textInput': {
      const e = onlyKeys(v, ['type', 'active']);
      if (e) return bad(e);
      if (typeof v.active !== 'boolean') return bad('active must be true or false');
      return good({ type: 'textInput', active: v.active });
    }
    case 'review': {
      const e = onlyKeys(v, ['type', 'requestId', 'qaId', 'action', 'answer', 'reason']);
      if (e) return bad(e);
      if (!isRequestId(v.requestId)) return bad('requestId must be a non-negative integer');
      if (!isText(v.qaId, MAX_ID) || v.qaId === '') return bad('qaId must be a non-empty string');
      if (!REVIEW_ACTIONS.includes(v.action as ReviewAction)) return bad(`action must be one of ${REVIEW_ACTIONS.join(', ')}`);
      const action = v.action as ReviewAction;
      if (v.answer !== undefined && (action !== 'edit' || !isText(v.answer))) return bad(`answer is only for edit, a string of at most ${MAX_TEXT} characters`);
      if (action === 'edit' && (typeof v.answer !== 'string' || v.answer.trim() === '')) return bad('an edit needs a non-empty answer');
      if (v.reason !== undefined && (action !== 'reject' || !isText(v.reason))) return bad(`reason is only for reject, a string of at most ${MAX_TEXT} characters`);
      const m: ReviewMessage = { type: 'review', requestId: v.requestId, qaId: v.qaId, action };
      if (typeof v.answer === 'string') m.answer = v.answer;
      if (typeof v.reason === 'string') m.reason = v.reason;
      return good(m);
    }
    case 'acceptGroup': {
      const e = onlyKeys(v, ['type', 'requestId', 'subset']);
      if (e) return bad(e);
      if (!isRequestId(v.requestId)) return bad('requestId must be a non-negative integer');
      if (!SUBSET_NAMES.includes(v.subset as Subset)) return bad(`subset must be one of ${SUBSET_NAMES.join(', ')}`);
      return good({ type: 'acceptGroup', requestId: v.requestId, subset: v.subset as Subset });
    }
    case 'editCaption': {
      const e = onlyKeys(v, ['type', 'requestId', 'modality', 'text']);
      if (e) return bad(e);
      if (!isRequestId(v.requestId)) return bad('requestId must be a non-negative integer');
      if (!MODALITY_NAMES.includes(v.modality as Modality)) return bad(`modality must be one of ${MODALITY_NAMES.join(', ')}`);
      if (!isText(v.text) || v.text.trim() === '') return bad(`text must be a non-empty string of at most ${MAX_TEXT} characters`);
      return good({ type: 'editCaption', requestId: v.requestId, modality: v.modality as Modality, text: v.text });
    }
    default:
      return { ok: false, error: `unknown message type '${String(v.type).slice(0, 40)}'` };
  }
}
