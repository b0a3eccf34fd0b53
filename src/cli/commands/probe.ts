// `avu probe <clip> [--json]`: media information, and which ffmpeg/ffprobe read it.
import type { Command } from '../command';
import { parseCommandArgs } from '../command';
import { UsageError } from '../../core/errors';
import { describeMediaTools, probeMedia, type MediaInfo, type MediaTools } from '../../media';

const HELP = `Usage: avu probe <clip> [--json] [--ffmpeg PATH]

Prints a clip's duration, streams, size, frame rate, rotation and audio (sample rate, channels).
  --json          the full information as JSON, with the ffmpeg/ffprobe that ran
  --ffmpeg PATH   the ffmpeg to use (ffprobe is looked up beside it); default AVU_FFMPEG, PATH, bundled
`;

function human(info: MediaInfo, tools: MediaTools): string {
  const lines = [`${info.file}`, `  duration   ${info.durationS.toFixed(3)} s  (${info.formatName}, ${info.sizeBytes} bytes)`];
  if (info.hasVideo)
    lines.push(
      `  video      ${info.videoCodec} ${info.width}x${info.height}` +
        (info.rotationDeg ? ` (coded ${info.codedWidth}x${info.codedHeight}, rotated ${info.rotationDeg}° clockwise)` : '') +
        `, ${info.fps.toFixed(3)} fps (avg ${info.avgFps.toFixed(3)}, base ${info.rFps.toFixed(3)})`,
    );
  else lines.push('  video      none');
  if (info.hasAudio)
    lines.push(`  audio      ${info.audioCodec} ${info.sampleRateHz ?? '?'} Hz, ${info.channels ?? '?'} channel(s)${info.channelLayout ? ` (${info.channelLayout})` : ''}`);
  else lines.push('  audio      none (the model hears silence)');
  lines.push(`  streams    ${info.streams.map((s) => `#${s.index} ${s.kind} ${s.codec}`).join(', ')}`);
  lines.push(`  tools      ${tools.ffprobe.path} (${tools.ffprobe.source}): ${tools.ffprobe.version}`);
  return lines.join('\n') + '\n';
}

export const command: Command = {
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('probe', argv, {
      json: { type: 'boolean' },
      ffmpeg: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(HELP);
      return 0;
    }
    const [clip, ...extra] = positionals;
    if (clip === undefined || extra.length > 0)
      throw new UsageError('bad-arguments', "avu probe takes exactly one clip; run 'avu probe --help'.");
    const opts = { ffmpegPath: values.ffmpeg, signal: ctx.signal };
    const [info, tools] = await Promise.all([probeMedia(clip, opts), describeMediaTools(opts)]);
    ctx.stdout(values.json ? JSON.stringify({ ...info, tools }, null, 2) + '\n' : human(info, tools));
    return 0;
  },
};
