// Geometry of the frames strip: one time axis from 0 to the clip's duration across the strip's width. Frame i
// sits at t_i = (i + 0.5) * duration / 8, the centre of column i, so column i covers [i, i + 1) * duration / 8.
// Spectrogram i covers its 2 s segment; where segments overlap (clips under 16 s) each column shows the part of
// its own segment that falls in the column, so the strip reads as one continuous, correctly timed spectrogram.
export const SPEC_HOP_S = 0.01;
/** Spectrogram columns that hold the 2 s segment (the rest of the 204 is padding). */
export const SPEC_SEGMENT_COLS = 200;

export interface ColumnSlice {
  /** Spectrogram columns [j0, j1) shown in this strip column. */
  j0: number;
  j1: number;
  /** Where they sit inside the strip column, as fractions of its width. */
  left: number;
  width: number;
  /** The clip time they show. */
  fromS: number;
  toS: number;
}

export function columnSlice(i: number, columns: number, durationS: number, segment: { startS: number; endS: number }, specCols: number): ColumnSlice | null {
  const colLen = durationS / columns;
  const c0 = i * colLen;
  const c1 = c0 + colLen;
  const fromS = Math.max(c0, segment.startS);
  const toS = Math.min(c1, segment.endS, durationS);
  if (!(colLen > 0) || toS <= fromS) return null;
  const maxCol = Math.min(specCols, SPEC_SEGMENT_COLS);
  const j0 = Math.max(0, Math.min(maxCol - 1, Math.floor((fromS - segment.startS) / SPEC_HOP_S)));
  const j1 = Math.max(j0 + 1, Math.min(maxCol, Math.ceil((toS - segment.startS) / SPEC_HOP_S)));
  return { j0, j1, left: (fromS - c0) / colLen, width: (toS - fromS) / colLen, fromS, toS };
}

/** The part of a segment that lies inside the clip (a segment is zero-padded where it leaves the clip). */
export function playableRange(segment: { startS: number; endS: number }, durationS: number): { startS: number; endS: number } {
  return { startS: Math.max(0, segment.startS), endS: Math.min(durationS, segment.endS) };
}

/** Playhead position as a fraction of the strip width, or null outside the clip. */
export function playheadFraction(timeS: number, durationS: number): number | null {
  if (!(durationS > 0) || !Number.isFinite(timeS) || timeS < 0 || timeS > durationS) return null;
  return timeS / durationS;
}
