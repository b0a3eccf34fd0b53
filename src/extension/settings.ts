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
