// The files of `avu features <clip> --out <dir>` (DESIGN.md CLI): frames/00.png…07.png (224x224 RGB),
// spectrograms.npy (float32 [8,128,204]) and features.json (times, segment bounds, media info, tools).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted } from '../core/errors';
import { FBANK_MEAN, FBANK_STD, MEL_BINS, SAMPLE_RATE_HZ, TARGET_FRAMES } from './fbank';
import type { ClipFeatures } from './features';
import { CLIP_MEAN, CLIP_STD, FRAME_SIZE } from './frames';
import { encodeNpyFloat32 } from './npy';
import { encodePngRgb } from './png';
import type { MediaTools, ResolvedTools } from './tools';

export interface WrittenFeatures {
  framePaths: string[];
  spectrogramsPath: string;
  jsonPath: string;
}

export async function writeFeatures(
  features: ClipFeatures,
  outDir: string,
  opts: { tools?: MediaTools | ResolvedTools | undefined; signal?: AbortSignal | undefined } = {},
): Promise<WrittenFeatures> {
  const framesDir = join(outDir, 'frames');
  await mkdir(framesDir, { recursive: true });
  const names = features.frameImages.map((_, i) => `${String(i).padStart(2, '0')}.png`);
  const framePaths = names.map((n) => join(framesDir, n));
  await Promise.all(features.frameImages.map((img, i) => writeFile(framePaths[i]!, encodePngRgb(img, FRAME_SIZE, FRAME_SIZE))));
  throwIfAborted(opts.signal);
  const n = features.timestampsS.length;
  const spectrogramsPath = join(outDir, 'spectrograms.npy');
  await writeFile(spectrogramsPath, encodeNpyFloat32(features.spectrograms, [n, MEL_BINS, TARGET_FRAMES]));
  const jsonPath = join(outDir, 'features.json');
  const doc = {
    schema: 'avu-features/1',
    clip: features.media.file,
    timestampsS: features.timestampsS,
    frameTimesS: features.frameTimesS,
    segments: features.segments,
    frames: { files: names.map((f) => `frames/${f}`), size: FRAME_SIZE, tensorShape: [n, 3, FRAME_SIZE, FRAME_SIZE], resize: 'shorter side 224, bicubic, centre crop', mean: CLIP_MEAN, std: CLIP_STD },
    spectrograms: {
      file: 'spectrograms.npy', shape: [n, MEL_BINS, TARGET_FRAMES], dtype: 'float32', sampleRateHz: SAMPLE_RATE_HZ, segmentS: 2.0,
      recipe: 'ImageBind: segment mean removed, Kaldi fbank (htk_compat, hanning, 128 mel, 25/10 ms, dither 0), padded to 204, (x - mean) / std',
      mean: FBANK_MEAN, std: FBANK_STD, silence: !features.media.hasAudio,
    },
    media: features.media,
    tools: opts.tools ?? features.tools,
  };
  await writeFile(jsonPath, JSON.stringify(doc, null, 2) + '\n');
  return { framePaths, spectrogramsPath, jsonPath };
}
