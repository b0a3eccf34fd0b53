// Meta-information answers in the manifest's metaFormat, "field: kw, kw; field: kw" (or "none"),
// parsed into the record's keyword lists. Unknown fields and empty keywords are dropped; keywords
// are lower-cased, trimmed and de-duplicated.
import { emptyMeta, META_FIELDS, type MetaField, type MetaKeywords } from '../dataset/record';

export interface MetaFormat {
  fieldSep: string;
  keySep: string;
  kwSep: string;
}

/** Reads the separators out of a format string shaped like "field: kw, kw; field: kw". */
export function metaFormatOf(format: string): MetaFormat {
  const m = /^field(\s*\S\s*)kw(\s*\S\s*)kw(\s*\S\s*)field\s*\S\s*kw$/.exec(format.trim());
  if (!m) return { fieldSep: ';', keySep: ':', kwSep: ',' };
  return { keySep: m[1]!.trim(), kwSep: m[2]!.trim(), fieldSep: m[3]!.trim() };
}

function isField(s: string): s is MetaField {
  return (META_FIELDS as readonly string[]).includes(s);
}

export function parseMeta(answer: string, format: string): MetaKeywords {
  const f = metaFormatOf(format);
  const meta = emptyMeta();
  for (const part of answer.split(f.fieldSep)) {
    const at = part.indexOf(f.keySep);
    if (at < 0) continue;
    const field = part.slice(0, at).trim().toLowerCase();
    if (!isField(field)) continue;
    for (const raw of part.slice(at + f.keySep.length).split(f.kwSep)) {
      const kw = raw.trim().toLowerCase().replace(/[.。]+$/, '');
      if (kw && !meta[field].includes(kw)) meta[field].push(kw);
    }
  }
  return meta;
}

/** The inverse, for prompts and tests: fields with keywords only, "none" when empty. */
export function formatMeta(meta: MetaKeywords, format: string): string {
  const f = metaFormatOf(format);
  const parts = META_FIELDS.filter((k) => meta[k].length > 0).map((k) => `${k}${f.keySep} ${meta[k].join(`${f.kwSep} `)}`);
  return parts.length ? parts.join(`${f.fieldSep} `) : 'none';
}
