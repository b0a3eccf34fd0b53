// A static page that serves dist/webview.js and media/review.css the way the host's HTML shell does (same CSP,
// same #app root), fakes acquireVsCodeApi (posted messages land in window.__posted) and lets a test feed
// host messages. Used by screenshot.ts; the lead's tests can drive the panel through it too.
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Page } from 'playwright-core';
import type { FromWebview, ToWebview } from '../../src/protocol/messages';

export const ORIGIN = 'http://harness.local';
const NONCE = 'harness-nonce';

export type Theme = 'dark' | 'light';
export const THEMES: Record<Theme, Record<string, string>> = {
  dark: {
    'foreground': '#cccccc', 'editor-background': '#1f1f1f', 'descriptionForeground': '#9d9d9d',
    'button-background': '#0078d4', 'button-foreground': '#ffffff', 'button-hoverBackground': '#026ec1',
    'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc', 'button-secondaryHoverBackground': '#3c3c3c',
    'button-border': '#ffffff12', 'focusBorder': '#0078d4', 'badge-background': '#616161', 'badge-foreground': '#f8f8f8',
    'testing-iconPassed': '#73c991', 'errorForeground': '#f85149', 'editorWarning-foreground': '#cca700',
    'editorWidget-background': '#202020', 'editorWidget-foreground': '#cccccc', 'editorWidget-border': '#454545',
    'list-hoverBackground': '#2a2d2e', 'list-inactiveSelectionBackground': '#37373d', 'panel-border': '#2b2b2b',
    'widget-border': '#313131', 'widget-shadow': '#0000005c', 'input-background': '#313131', 'input-foreground': '#cccccc',
    'input-border': '#3c3c3c', 'input-placeholderForeground': '#989898', 'progressBar-background': '#0078d4',
    'keybindingLabel-background': '#8080802b', 'keybindingLabel-foreground': '#cccccc', 'keybindingLabel-border': '#33333399',
    'editorCursor-foreground': '#aeafad', 'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', 'font-size': '13px',
    'editor-font-family': '"Droid Sans Mono", monospace',
  },
  light: {
    'foreground': '#3b3b3b', 'editor-background': '#ffffff', 'descriptionForeground': '#3b3b3b',
    'button-background': '#005fb8', 'button-foreground': '#ffffff', 'button-hoverBackground': '#0258a8',
    'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b', 'button-secondaryHoverBackground': '#cccccc',
    'button-border': '#0000001a', 'focusBorder': '#005fb8', 'badge-background': '#cccccc', 'badge-foreground': '#3b3b3b',
    'testing-iconPassed': '#388a34', 'errorForeground': '#f85149', 'editorWarning-foreground': '#bf8803',
    'editorWidget-background': '#f8f8f8', 'editorWidget-foreground': '#3b3b3b', 'editorWidget-border': '#c8c8c8',
    'list-hoverBackground': '#f2f2f2', 'list-inactiveSelectionBackground': '#e4e6f1', 'panel-border': '#e5e5e5',
    'widget-border': '#e5e5e5', 'widget-shadow': '#00000029', 'input-background': '#ffffff', 'input-foreground': '#3b3b3b',
    'input-border': '#cecece', 'input-placeholderForeground': '#767676', 'progressBar-background': '#005fb8',
    'keybindingLabel-background': '#dddddd66', 'keybindingLabel-foreground': '#3b3b3b', 'keybindingLabel-border': '#cccccc66',
    'editorCursor-foreground': '#000000', 'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', 'font-size': '13px',
    'editor-font-family': '"Droid Sans Mono", monospace',
  },
};

/** The host's shell (see the brief in src/webview/main.ts's header), with the theme and the fake API added. */
export function shellHtml(theme: Theme): string {
  const vars = Object.entries(THEMES[theme]).map(([k, v]) => `--vscode-${k}: ${v};`).join(' ');
  const csp = `default-src 'none'; img-src ${ORIGIN}; media-src ${ORIGIN}; style-src ${ORIGIN} 'nonce-${NONCE}'; script-src 'nonce-${NONCE}'; font-src ${ORIGIN};`;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style nonce="${NONCE}">html { ${vars} }</style>
<link rel="stylesheet" href="${ORIGIN}/media/review.css">
</head><body class="vscode-${theme}"><div id="app" aria-live="polite"></div>
<script nonce="${NONCE}">
window.__posted = []; window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
let saved;
window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => saved, setState: (s) => { saved = s; } });
</script>
<script nonce="${NONCE}" src="${ORIGIN}/dist/webview.js"></script>
</body></html>`;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.mp4': 'video/mp4', '.npy': 'application/octet-stream', '.map': 'application/json' };

/** Serves the shell at ORIGIN/, the bundle and CSS from the repo, and /data/* from a features folder. */
export async function openPanel(page: Page, opts: { theme: Theme; repo: string; data: string; clip: string }): Promise<void> {
  await page.route(`${ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/') return route.fulfill({ contentType: 'text/html', body: shellHtml(opts.theme) });
    let file: string | null = null;
    if (path.startsWith('/dist/') || path.startsWith('/media/')) file = join(opts.repo, path);
    else if (path === '/data/preview.mp4') file = opts.clip;
    else if (path.startsWith('/data/')) file = join(opts.data, path.slice('/data/'.length));
    if (!file || path.includes('..')) return route.fulfill({ status: 404 });
    try {
      const body = await readFile(file);
      const contentType = TYPES[extname(file)] ?? 'application/octet-stream';
      // Media seeks need byte ranges (VS Code's webview resource loader serves them too).
      const range = /^bytes=(\d+)-(\d*)$/.exec(route.request().headers()['range'] ?? '');
      if (range) {
        const from = Number(range[1]);
        const to = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
        return route.fulfill({
          status: 206, contentType, body: body.subarray(from, to + 1),
          headers: { 'Content-Range': `bytes ${from}-${to}/${body.length}`, 'Accept-Ranges': 'bytes' },
        });
      }
      return route.fulfill({ contentType, body, headers: { 'Accept-Ranges': 'bytes' } });
    } catch {
      return route.fulfill({ status: 404 });
    }
  });
  await page.goto(`${ORIGIN}/`);
  await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
}

/** Posts host messages into the page, as the host's webview.postMessage would. */
export async function feed(page: Page, messages: ToWebview[]): Promise<void> {
  await page.evaluate((ms) => { for (const m of ms) window.postMessage(m, '*'); }, messages);
}

/** Sends the features message with the real spectrograms.npy as a Float32Array, as the host transfers it. */
export async function feedFeatures(page: Page, dataDir: string, meta: { durationS: number; timesS: number[]; segments: Array<{ startS: number; endS: number }> }): Promise<void> {
  const npy = await readFile(join(dataDir, 'spectrograms.npy'));
  const headerLen = npy.readUInt16LE(8);
  const header = npy.subarray(10, 10 + headerLen).toString('latin1');
  const shape = (/'shape': \((\d+), (\d+), (\d+)\)/.exec(header) ?? []).slice(1).map(Number) as [number, number, number];
  if (shape.length !== 3) throw new Error(`spectrograms.npy: no 3-d shape in its header (${header.trim()})`);
  const base64 = npy.subarray(10 + headerLen).toString('base64');
  // The page's CSP allows no fetch (connect-src 'none', as in the panel), so the bytes travel through evaluate.
  await page.evaluate(({ origin, meta, shape, base64 }) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    window.postMessage({
      type: 'features',
      media: { durationS: meta.durationS, width: 224, height: 224, fps: 10, hasAudio: true },
      frames: meta.timesS.map((t, i) => ({ uri: `${origin}/data/frames/${String(i).padStart(2, '0')}.png`, timeS: t })),
      segments: meta.segments,
      spectrograms: { shape, data: new Float32Array(bytes.buffer) },
    }, '*');
  }, { origin: ORIGIN, meta, shape, base64 });
}

export async function posted(page: Page): Promise<FromWebview[]> {
  return page.evaluate(() => (window as unknown as { __posted: FromWebview[] }).__posted);
}

export async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
}
