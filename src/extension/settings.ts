// Reads AVU settings with the trust rule of package.json's `restrictedConfigurations`: a setting that names a
// program to run is never honoured in an untrusted workspace. No `vscode` import, so it is unit-testable.

/** The part of vscode.WorkspaceConfiguration this file needs. */
export interface SettingsReader {
  get<T>(section: string): T | undefined;
}

export interface MediaToolSetting {
  /** The ffmpeg path to use, or undefined for the default lookup (AVU_FFMPEG, PATH, bundled binaries). */
  ffmpegPath: string | undefined;
  /** Set when the user configured a path that was not used because the workspace is not trusted. */
  ignoredBecauseUntrusted: boolean;
}

export function readMediaToolSetting(config: SettingsReader, workspaceTrusted: boolean): MediaToolSetting {
  const raw = config.get<unknown>('ffmpegPath');
  const configured = typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined;
  if (configured === undefined) return { ffmpegPath: undefined, ignoredBecauseUntrusted: false };
  if (!workspaceTrusted) return { ffmpegPath: undefined, ignoredBecauseUntrusted: true };
  return { ffmpegPath: configured, ignoredBecauseUntrusted: false };
}

export type DeviceName = 'auto' | 'cpu' | 'cuda' | 'webgpu';
const DEVICES: readonly DeviceName[] = ['auto', 'cpu', 'cuda', 'webgpu'];

export interface ModelSetting {
  /** The bundle folder to load, or undefined for the shipped default (models/dolphin-tiny). */
  bundle: string | undefined;
  device: DeviceName;
  /** A bundle was configured but not used: the workspace is untrusted (a bundle is code onnxruntime runs). */
  ignoredBecauseUntrusted: boolean;
}

export function readModelSetting(config: SettingsReader, workspaceTrusted: boolean): ModelSetting {
  const raw = config.get<unknown>('model.bundle');
  const dev = config.get<unknown>('inference.device');
  const device = DEVICES.includes(dev as DeviceName) ? (dev as DeviceName) : 'auto';
  const configured = typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined;
  if (configured !== undefined && !workspaceTrusted) return { bundle: undefined, device, ignoredBecauseUntrusted: true };
  return { bundle: configured, device, ignoredBecauseUntrusted: false };
}

export interface RulesSetting {
  thresholds: { high: number; medium: number };
  dropFraction: number;
}

/** Rules thresholds from settings, each clamped to [0, 1] and medium kept at or below high. */
export function readRulesSetting(config: SettingsReader, defaults: RulesSetting): RulesSetting {
  const num = (key: string, fallback: number): number => {
    const v = config.get<unknown>(key);
    return typeof v === 'number' && Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : fallback;
  };
  const high = num('rules.highThreshold', defaults.thresholds.high);
  const medium = Math.min(high, num('rules.mediumThreshold', defaults.thresholds.medium));
  return { thresholds: { high, medium }, dropFraction: num('rules.dropFraction', defaults.dropFraction) };
}
