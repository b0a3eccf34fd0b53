// Host <-> webview protocol: one file, a literal `type` per message, two unions. Filled in by the review UI issue.

export interface ReadyMessage {
  type: 'ready';
}

export type FromWebview = ReadyMessage;
export type ToWebview = { type: 'init'; clipName: string };
