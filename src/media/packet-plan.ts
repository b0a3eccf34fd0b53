// Which packets an H.264 decoder must see to produce the frames at the timestamps, exactly: for each target, the
// reference pictures from its keyframe up to it in decode order, and the target itself. Every other packet (pictures
// no one refers to, stretches between targets, everything after the last) never reaches the decoder (decode.ts
// decodeReferencesOnly). On a 10 s 720p x264 clip that is about half the pictures of a full decode.
import type { VideoPacket } from './probe';

/** A packet counts as at a target this close before it (ffmpeg rounds a time to its stream's time base). */
const AT_S = 1e-3;

export interface PacketPlan {
  /** Per timestamp, the index (decode order) of the packet whose frame it gets. */
  targets: number[];
  /** Per packet, whether the decoder sees it. */
  keep: boolean[];
}

/**
 * The packets to decode for the frames at `timestampsS` (clip time; packets carry container time, so
 * `startTimeS` is added). The frame for t is the first at or after it, or the last one when the video ends
 * earlier: the rule of the keyframe-group path.
 */
export function planPackets(timestampsS: readonly number[], packets: readonly VideoPacket[], isRef: readonly boolean[], startTimeS = 0): PacketPlan {
  const keep = packets.map(() => false);
  let last = 0;
  packets.forEach((p, i) => {
    if (p.ptsS > packets[last]!.ptsS) last = i;
  });
  const targets = timestampsS.map((ts) => {
    const t = ts + startTimeS;
    let j = -1;
    packets.forEach((p, i) => {
      if (p.ptsS >= t - AT_S && (j < 0 || p.ptsS < packets[j]!.ptsS)) j = i;
    });
    if (j < 0) j = last;
    let k = j;
    while (k > 0 && !packets[k]!.key) k--;
    for (let i = k; i < j; i++) if (isRef[i]) keep[i] = true;
    keep[j] = true;
    return j;
  });
  return { targets, keep };
}
