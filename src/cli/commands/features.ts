// `avu features <clip> --out <dir>`: the 8 frames, 8 spectrograms and features.json of a clip (DESIGN.md CLI).
import type { Command } from '../command';
import { parseCommandArgs } from '../command';
import { UsageError } from '../../core/errors';
import { describeMediaTools, extractFeatures, resolveMediaTools, writeFeatures } from '../../media';

const HELP = `Usage: avu features <clip> --out <dir> [--json] [--ffmpeg PATH]

Writes <dir>/frames/00.png…07.png (224x224), <dir>/spectrograms.npy (float32 [8,128,204]) and
<dir>/features.json (timestamps, segment bounds, media info, the ffmpeg that ran).
  --json          print the written paths and timestamps as JSON
  --ffmpeg PATH   the ffmpeg to use (ffprobe is looked up beside it)
`;

export const command: Command = {
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('features', argv, {
      out: { type: 'string', short: 'o' },
      json: { type: 'boolean' },
      ffmpeg: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(HELP);
      return 0;
    }
    const [clip, ...extra] = positionals;
    if (clip === undefined || extra.length > 0) throw new UsageError('bad-arguments', "avu features takes exactly one clip; run 'avu features --help'.");
    if (!values.out) throw new UsageError('bad-arguments', "avu features needs --out <dir>; run 'avu features --help'.");
    const tools = resolveMediaTools({ ffmpegPath: values.ffmpeg });
    const started = Date.now();
    const [features, described] = await Promise.all([
      extractFeatures(clip, { tools, signal: ctx.signal }),
      describeMediaTools({ ffmpegPath: values.ffmpeg, signal: ctx.signal }),
    ]);
    const written = await writeFeatures(features, values.out, { tools: described, signal: ctx.signal });
    const ms = Date.now() - started;
    if (values.json) {
      ctx.stdout(JSON.stringify({ ...written, timestampsS: features.timestampsS, hasAudio: features.media.hasAudio, elapsedMs: ms }, null, 2) + '\n');
    } else {
      ctx.stdout(`${written.jsonPath}\n`);
      ctx.stderr(`avu features: 8 frames and 8 spectrograms of ${clip} in ${ms} ms${features.media.hasAudio ? '' : ' (no audio stream: silence)'}\n`);
    }
    return 0;
  },
};
