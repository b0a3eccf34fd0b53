// A bundle's trainable weights (docs/bundle.md "weights") are part of the manifest contract: hashed like every
// file, checked before loading, and a manifest that names weights it does not hash is refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ModelError } from '../../src/core/errors';
import { loadBundle, sha256File } from '../../src/inference/bundle';
import { bundleCopy } from './fixture';

const shipped = resolve(__dirname, '..', '..', 'models', 'dolphin-tiny');
type Json = Record<string, unknown> & { files: Record<string, string> };

function readManifest(dir: string): Json {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Json;
}

async function withWeights(hashIt: boolean, format = 'safetensors'): Promise<string> {
  const dir = bundleCopy();
  writeFileSync(join(dir, 'weights.safetensors'), 'stand-in weights');
  const m = readManifest(dir);
  m.weights = { file: 'weights.safetensors', format, dtype: 'float32', parameters: 10 };
  if (hashIt) m.files['weights.safetensors'] = await sha256File(join(dir, 'weights.safetensors'));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
  return dir;
}

async function rejectsWith(p: Promise<unknown>, code: string, text: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ModelError, String(err));
    assert.equal(err.code, code);
    assert.ok(err.message.includes(text), err.message);
    return true;
  });
}

describe('bundle weights', () => {
  it('the shipped dolphin-tiny carries its weights, hashed', async () => {
    const b = await loadBundle(shipped);
    assert.equal(b.manifest.weights?.format, 'safetensors');
    assert.ok(b.manifest.weights && b.manifest.weights.file in b.manifest.files);
    assert.ok((b.manifest.weights?.parameters ?? 0) > 1_000_000);
  });

  it('loads a bundle whose weights are hashed', async () => {
    const b = await loadBundle(await withWeights(true));
    assert.equal(b.manifest.weights?.file, 'weights.safetensors');
  });

  it('refuses weights the manifest does not hash', async () => {
    await rejectsWith(loadBundle(await withWeights(false)), 'bad-manifest', 'weights.safetensors');
  });

  it('refuses a weights format it cannot read', async () => {
    await rejectsWith(loadBundle(await withWeights(true, 'pickle')), 'bad-manifest', 'weights.format');
  });

  it('names tampered weights', async () => {
    const dir = await withWeights(true);
    appendFileSync(join(dir, 'weights.safetensors'), 'x');
    await rejectsWith(loadBundle(dir), 'corrupt-file', 'weights.safetensors');
  });
});
