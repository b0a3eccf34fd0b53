// Composition root of the review webview (the review UI is a later issue).
import type { FromWebview } from '../protocol/messages';

declare function acquireVsCodeApi(): { postMessage(msg: FromWebview): void };

const vscode = acquireVsCodeApi();
vscode.postMessage({ type: 'ready' });
