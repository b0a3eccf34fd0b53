// Normalised meta-information keywords. The same function runs on audio and visual keywords, on
// task labels and on caption text, so "Dogs barking", " dog bark " and "dog  barks" compare equal.
// Steps: lowercase, trim, '_' and punctuation to spaces, collapse spaces, a small lemmatiser per word
// (plural and -ing forms), then a synonym table on the whole phrase; empty keywords are dropped and
// duplicates removed (first occurrence kept).
import { META_FIELDS, emptyMeta, type MetaKeywords } from './record';

const IRREGULAR: Record<string, string> = {
  children: 'child', people: 'person', men: 'man', women: 'woman', mice: 'mouse', geese: 'goose',
  feet: 'foot', teeth: 'tooth', oxen: 'ox', wolves: 'wolf', knives: 'knife', leaves: 'leaf', calves: 'calf',
  sang: 'sing', sung: 'sing', ran: 'run', flew: 'fly', spoke: 'speak', spoken: 'speak',
};

/** -ing words that are not verb forms (or whose stem would be wrong). */
const ING_KEEP = new Set([
  'ceiling', 'evening', 'morning', 'building', 'thing', 'ring', 'king', 'spring', 'string', 'wing', 'sing',
  'swing', 'bring', 'sibling', 'something', 'nothing', 'everything', 'anything', 'ping', 'ding', 'sling',
  'sting', 'wedding', 'pudding', 'clothing', 'during', 'lightning', 'awning', 'icing', 'ping-pong', 'bling',
]);

/** Whole-phrase synonyms, applied after lemmatisation. Keys and values are already normalised. */
export const SYNONYMS: Record<string, string> = {
  automobile: 'car', auto: 'car', kid: 'child', puppy: 'dog', doggy: 'dog', kitten: 'cat', kitty: 'cat',
  aeroplane: 'airplane', plane: 'airplane', aircraft: 'airplane', motorbike: 'motorcycle',
  inside: 'indoors', indoor: 'indoors', outside: 'outdoors', outdoor: 'outdoors',
  happy: 'cheerful', joyful: 'cheerful', joyous: 'cheerful', upbeat: 'cheerful',
  peaceful: 'calm', relaxed: 'calm', relaxing: 'calm', tranquil: 'calm', serene: 'calm',
  scared: 'afraid', frightened: 'afraid', fearful: 'afraid', alarmed: 'alert', tense: 'alert',
  speech: 'talk', speak: 'talk', chat: 'talk', conversation: 'talk',
  applause: 'clap', cheer: 'cheer', song: 'sing', singer: 'sing', vocal: 'sing',
  gray: 'grey', colour: 'color', centre: 'center', 'middle center': 'center',
  'acoustic guitar': 'guitar', 'electric guitar': 'guitar', 'violin fiddle': 'violin', fiddle: 'violin',
};

const VOWEL = /[aeiou]/;

/** Applies the word rules until nothing changes, so normalising a normalised keyword changes nothing. */
function lemmaWord(w: string): string {
  let cur = w;
  for (let i = 0; i < 4; i++) {
    const next = lemmaStep(cur);
    if (next === cur) return cur;
    cur = next;
  }
  return cur;
}

function lemmaStep(w: string): string {
  const irr = IRREGULAR[w];
  if (irr) return irr;
  if (w.length > 4 && w.endsWith('ing') && !ING_KEEP.has(w)) {
    let stem = w.slice(0, -3);
    if (!VOWEL.test(stem)) return w; // "bring"-like words already covered; keep odd ones as they are
    const last = stem[stem.length - 1];
    const prev = stem[stem.length - 2];
    if (last && last === prev && 'bdgmnprt'.includes(last)) stem = stem.slice(0, -1); // running -> run
    else if (/[^aeiou]l$/.test(stem) || /[cv]$/.test(stem)) stem += 'e'; // whistling -> whistle, dancing -> dance
    else if (/[^s]s$/.test(stem)) stem += 'e'; // pulsing -> pulse, rising -> rise (not a plural "puls")
    else if (stem.length <= 4 && /^[^aeiou]*[aeiou][^aeiouwxy]$/.test(stem)) stem += 'e'; // making -> make
    return stem;
  }
  if (w.length > 4 && w.endsWith('ies')) return w.slice(0, -3) + 'y';
  if (w.length > 4 && /(ss|sh|ch|x|z)es$/.test(w)) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !/(ss|us|is|os)$/.test(w)) return w.slice(0, -1);
  return w;
}

/** Words of a text, normalised and lemmatised (no synonyms): what captions are matched against. */
export function normaliseWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[_/]+/g, ' ')
    .replace(/[^\p{L}\p{N}\s'-]+/gu, ' ')
    .replace(/'s\b/g, '')
    .replace(/'/g, '')
    .split(/\s+/)
    .filter((w) => w !== '' && w !== '-')
    .map(lemmaWord);
}

/** One keyword in normal form ('' for nothing left). */
export function normaliseKeyword(keyword: string): string {
  const phrase = normaliseWords(keyword).join(' ');
  return SYNONYMS[phrase] ?? phrase;
}

/** A keyword list normalised, without empties and duplicates. */
export function normaliseList(keywords: readonly string[]): string[] {
  const out: string[] = [];
  for (const k of keywords) {
    const n = normaliseKeyword(k);
    if (n !== '' && !out.includes(n)) out.push(n);
  }
  return out;
}

export function normaliseMeta(meta: MetaKeywords): MetaKeywords {
  const out = emptyMeta();
  for (const f of META_FIELDS) out[f] = normaliseList(meta[f] ?? []);
  return out;
}

/** All keywords of a meta set, flattened. */
export function allKeywords(meta: MetaKeywords): string[] {
  const out: string[] = [];
  for (const f of META_FIELDS) for (const k of meta[f]) if (!out.includes(k)) out.push(k);
  return out;
}

/**
 * Two normalised keywords match when they are equal or the words of one are all among the words of
 * the other ("dog" matches "brown dog"); synonyms apply to single words as well.
 */
export function keywordsMatch(a: string, b: string): boolean {
  if (a === b) return true;
  const wa = a.split(' ').map((w) => SYNONYMS[w] ?? w);
  const wb = b.split(' ').map((w) => SYNONYMS[w] ?? w);
  const [small, big] = wa.length <= wb.length ? [wa, wb] : [wb, wa];
  return small.every((w) => big.includes(w));
}

/** Whether the (normalised) keyword occurs as a word sequence in the normalised words of a text. */
export function textMentions(words: readonly string[], keyword: string): boolean {
  const kw = keyword.split(' ');
  const mapped = words.map((w) => SYNONYMS[w] ?? w);
  const kwm = kw.map((w) => SYNONYMS[w] ?? w);
  outer: for (let i = 0; i + kwm.length <= mapped.length; i++) {
    for (let j = 0; j < kwm.length; j++) if (mapped[i + j] !== kwm[j] && words[i + j] !== kw[j]) continue outer;
    return true;
  }
  return false;
}
