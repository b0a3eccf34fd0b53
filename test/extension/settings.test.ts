import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readMediaToolSetting, type SettingsReader } from '../../src/extension/settings';

const settings = (values: Record<string, unknown>): SettingsReader => ({
  get: <T>(key: string) => values[key] as T | undefined,
});

test('a configured avu.ffmpegPath is used in a trusted workspace', () => {
  assert.deepEqual(readMediaToolSetting(settings({ ffmpegPath: '/opt/ffmpeg/bin/ffmpeg' }), true), {
    ffmpegPath: '/opt/ffmpeg/bin/ffmpeg',
    ignoredBecauseUntrusted: false,
  });
});

test('avu.ffmpegPath is ignored in an untrusted workspace, and that is reported', () => {
  assert.deepEqual(readMediaToolSetting(settings({ ffmpegPath: './evil/ffmpeg' }), false), {
    ffmpegPath: undefined,
    ignoredBecauseUntrusted: true,
  });
});

test('an empty, blank or non-string avu.ffmpegPath means the default lookup', () => {
  for (const value of [undefined, '', '   ', 42, null]) {
    for (const trusted of [true, false]) {
      assert.deepEqual(readMediaToolSetting(settings({ ffmpegPath: value }), trusted), { ffmpegPath: undefined, ignoredBecauseUntrusted: false });
    }
  }
});
