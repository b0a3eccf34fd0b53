// Q&A per AVU subset (paper 4.3, figures 9-10): what the model is asked for a record of each subset,
// and the form checks an answer must pass before it can count for that subset.
import type { AvuSample, Modality, QaItem, Subset } from './record';
import { allKeywords, keywordsMatch, normaliseMeta, normaliseWords, textMentions } from './meta';

export interface QaPrompt {
  subset: Subset;
  modality: Modality;
  /** The instruction given to the model; it answers with Q&A pairs (or a caption for pretrain). */
  instruction: string;
}

/** What to ask the model per subset. High: captions and multi-turn Q&A; medium: one-modality questions; low: false premises. */
export const SUBSET_PROMPTS: Record<Subset, readonly QaPrompt[]> = {
  pretrain: [
    { subset: 'pretrain', modality: 'av', instruction: 'Describe the clip, sound and picture together.' },
    { subset: 'pretrain', modality: 'audio', instruction: 'Describe what you hear.' },
    { subset: 'pretrain', modality: 'visual', instruction: 'Describe what you see.' },
  ],
  multi_qa: [
    { subset: 'multi_qa', modality: 'av', instruction: 'Ask and answer several questions that need both the sound and the picture: what makes the sound, whether it is in sync, when it happens, and what mood the clip has.' },
  ],
  specific: [
    { subset: 'specific', modality: 'audio', instruction: 'Ask and answer questions about what is heard but cannot be seen (pitch, rhythm, kind of sound).' },
    { subset: 'specific', modality: 'visual', instruction: 'Ask and answer questions about what is seen but cannot be heard (colour, position, size, motion, background).' },
  ],
  negative: [
    { subset: 'negative', modality: 'audio', instruction: 'Ask about a sound that is not in the clip and answer by rejecting the premise.' },
    { subset: 'negative', modality: 'visual', instruction: 'Ask about an object that is not in the picture and answer by rejecting the premise.' },
  ],
  tasks: [],
};

/** An answer that rejects the question's premise ("There is no ...", "No ... is visible", ...). */
const REJECTION = /^(there (is|are) no\b|there (isn't|aren't|is not|are not)\b|no\b|none\b|nothing\b|nobody\b|no one\b|i (can't|cannot|do not|don't) (see|hear)\b|the (clip|video|picture|audio|sound) (has|contains|shows) no\b)|\b(is|are) not (in|present|visible|heard|audible|shown)\b|\bdoes not (appear|exist)\b/i;

export function rejectsPremise(answer: string): boolean {
  return REJECTION.test(answer.trim());
}

function answerOf(item: QaItem): string {
  return item.edit?.a ?? item.a;
}

/**
 * The form problem of a Q&A item within its record, or null. Checks:
 * - every item: a non-empty question and answer;
 * - specific/audio: the answer must not be answerable from the visual keywords alone (it names a
 *   visual keyword that the audio keywords lack); specific/visual: the mirror image;
 * - negative: the answer rejects the premise;
 * - pretrain: the answer is a description (at least three words);
 * - multi_qa: audio-visual.
 */
export function qaFormProblem(item: QaItem, record: Pick<AvuSample, 'meta'>): string | null {
  const a = answerOf(item).trim();
  if (item.q.trim() === '' || a === '') return 'the question or the answer is empty';
  switch (item.subset) {
    case 'specific': {
      if (item.modality === 'av') return 'a Specific question must be about one modality';
      if (rejectsPremise(a)) return null; // "there is only noise" style answers say the modality is missing
      const meta = normaliseMeta(record.meta.audio);
      const vis = normaliseMeta(record.meta.visual);
      const own = allKeywords(item.modality === 'audio' ? meta : vis);
      const other = allKeywords(item.modality === 'audio' ? vis : meta);
      const words = normaliseWords(a);
      const leaked = other.find((k) => textMentions(words, k) && !own.some((o) => keywordsMatch(o, k)));
      if (leaked !== undefined)
        return `the ${item.modality} answer names '${leaked}', which the ${item.modality === 'audio' ? 'visual' : 'audio'} keywords already give away`;
      return null;
    }
    case 'negative':
      return rejectsPremise(a) ? null : 'a Negative answer must reject the false premise (e.g. "There is no ...")';
    case 'pretrain':
      return a.split(/\s+/).length >= 3 ? null : 'a Pretrain answer must be a description of at least three words';
    case 'multi_qa':
      return item.modality === 'av' ? null : 'a Multi Q&A item must be audio-visual';
    default:
      return null;
  }
}
