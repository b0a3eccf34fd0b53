// One-line summaries a person reads in a notification. Pure, so unit tests cover them without VS Code.
import type { MediaInfo } from '../media/probe';
import type { MediaTools } from '../media/tools';

/** The facts of a probe that the summary names. */
export type ClipSummaryFacts = Pick<MediaInfo, 'durationS' | 'width' | 'height' | 'fps' | 'videoCodec' | 'hasAudio' | 'audioCodec' | 'sampleRateHz' | 'channels'>;

const round = (x: number, digits: number) => Number(x.toFixed(digits)).toString();

export function describeClip(name: string, info: ClipSummaryFacts): string {
  const parts = [`${round(info.durationS, 2)} s`];
  if (info.width > 0) parts.push(`${info.width}×${info.height} @ ${round(info.fps, 2)} fps${info.videoCodec ? ` ${info.videoCodec}` : ''}`);
  else parts.push('no video');
  if (info.hasAudio) {
    const rate = info.sampleRateHz ? `${round(info.sampleRateHz / 1000, 1)} kHz` : 'unknown rate';
    const ch = info.channels === 1 ? 'mono' : info.channels === 2 ? 'stereo' : `${info.channels ?? '?'} ch`;
    parts.push(`audio ${info.audioCodec ?? ''} ${rate} ${ch}`.replace(/\s+/g, ' '));
  } else {
    parts.push('no audio');
  }
  return `${name}: ${parts.join(', ')}`;
}

const sourceLabel: Record<MediaTools['ffmpeg']['source'], string> = {
  setting: 'from the avu.ffmpegPath setting',
  env: 'from AVU_FFMPEG',
  path: 'from PATH',
  bundled: 'bundled with AVU Studio',
};

/** "ffmpeg version 5.1.6-0+deb12u1 Copyright (c) ..." → "ffmpeg 5.1.6-0+deb12u1". */
export function shortVersion(versionLine: string, fallback: string): string {
  const m = /^(\S+) version (\S+)/.exec(versionLine);
  return m ? `${m[1]} ${m[2]}` : versionLine || fallback;
}

export function describeTools(tools: MediaTools): string {
  const one = (t: MediaTools['ffmpeg'], name: string) => `${shortVersion(t.version, name)} (${t.path}, ${sourceLabel[t.source]})`;
  return `${one(tools.ffmpeg, 'ffmpeg')} · ${one(tools.ffprobe, 'ffprobe')}`;
}
