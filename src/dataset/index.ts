// The dataset engine's public surface: the store, records, rules, tasks and exports.
export * from './record';
export { AvuStore, type StoreOptions, type RecordSummary, type StoreProblem } from './store';
export { STORE_DIR, clipPathInDataset, findDatasetRoot, requireClipInDataset } from './dataset-root';
export { createSample, recordIdForClip, type SampleInit } from './sample';
export { checkRecord, isValidRecordId } from './validate';
export { REVIEW_ACTIONS, type ReviewAction, type RecordPatch, type QaState } from './ops';
export { normaliseKeyword, normaliseList, normaliseMeta } from './meta';
export {
  DEFAULT_THRESHOLDS, LEVELS, calibrateThresholds, consistency, levelOf, levelOfSubset, qaSubsetsFor, subsetOfLevel,
  type Level, type Thresholds,
} from './consistency';
export { SUBSET_PROMPTS, qaFormProblem, rejectsPremise, type QaPrompt } from './qa';
export {
  DEFAULT_DROP_FRACTION, WEIGHTS, annotationScore, bottomFraction, confidence, selfConsistencyScore, similarityScore,
  type ScoreProvider,
} from './filtering';
export { applyRules, type RulesOptions, type RulesReport } from './rules';
export { readSynthDir, recordFromSynth } from './synth-import';
export { TASK_FORMATS, type TaskClip, type TaskFormat } from './tasks/common';
export { importTaskClips, readTaskFile, readTasks } from './tasks/import';
export { EXPORT_FORMATS, exportDataset, type ExportFormat, type ExportManifest } from './export';
