// The record types the panel shows, derived from the protocol (src/webview may import only src/protocol).
import type { AcceptGroupMessage, RecordMessage, StreamStage } from '../protocol/messages';

export type AvuSample = NonNullable<RecordMessage['record']>;
export type QaItem = AvuSample['qa'][number];
export type Subset = AcceptGroupMessage['subset'];
export type Modality = Extract<StreamStage, { kind: 'caption' }>['modality'];
export type MetaKeywords = AvuSample['meta']['audio'];
