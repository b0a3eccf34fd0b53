// The media core's public surface (DESIGN.md src/media). Never imports vscode.
export { fileInput, runTool, ToolRunError, tailLines, type RunToolOptions, type RunToolResult } from './process';
export {
  resolveMediaTools, describeMediaTools, ffprobeBeside,
  type MediaTools, type ResolvedTools, type ToolInfo, type ToolLocation, type ToolOptions, type ToolSource,
} from './tools';
export { probeMedia, probeWithKeyframes, type VideoPacket, listKeyframesS, checkClipFile, explainToolFailure, parseProbeJson, type MediaInfo, type StreamInfo, type StreamKind, type ProbeOptions } from './probe';
export { planPackets, type PacketPlan } from './packet-plan';
export { readMp4AvcConfig, avcConfigsOfMoov } from './mp4-boxes';
export { h264ReferenceFlags, avccIsReference, annexBIsReference, parseAvcDecoderConfig, lengthPrefixedToAnnexB, openH264Packets } from './h264';
export { ReferenceDecoder, extractFrames, decodeFramesAndAudio, decodeAudio16k, type DecodeOptions, type FramesAndAudio } from './decode';
export { planResize, planFrameGroups, groupCostFrames, splitGroups, normaliseFrames, FRAME_SIZE, CLIP_MEAN, CLIP_STD, type FrameSet, type ResizePlan } from './frames';
export { segmentBounds, cutSegment, spectrogramsFromPcm, SEGMENT_S, type SegmentBounds } from './audio';
export { kaldiFbank, imagebindMelSpectrogram, fbankFrameCount, SAMPLE_RATE_HZ, MEL_BINS, TARGET_FRAMES, FBANK_MEAN, FBANK_STD } from './fbank';
export { kaldiMelBank, hanningWindow, melScale } from './mel';
export { encodeNpyFloat32, decodeNpyFloat32, type NpyArray } from './npy';
export { encodePngRgb, decodePngRgb } from './png';
export { extractFeatures, frameTimestampsS, NUM_FRAMES, FRAMES_SHAPE, SPECTROGRAMS_SHAPE, type ClipFeatures, type ExtractFeaturesOptions } from './features';
export { writeFeatures, type WrittenFeatures } from './features-files';
export { ensurePreview, previewKey, type PreviewOptions } from './preview';
