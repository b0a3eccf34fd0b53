// A missing, truncated, tampered or mismatched bundle file gives one ModelError naming the file.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError } from '../../src/core/errors';
import { loadBundle, sha256File } from '../../src/inference/bundle';
import { DolphinModel } from '../../src/inference/model';
import { precheck } from '../../src/inference/providers';
import { bundleCopy, fixtureBundle } from './fixture';

async function rejectsNaming(p: Promise<unknown>, code: string, file: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ModelError, `expected ModelError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.ok(err.message.includes(file), `message names ${file}: ${err.message}`);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
}

describe('bundle loading', () => {
  it('loads a good bundle and checks every hash', async () => {
    const b = await loadBundle(fixtureBundle());
    assert.equal(b.manifest.architecture, 'dolphin');
    assert.equal(b.manifest.prefix.length, b.manifest.prefix.layout.reduce((n, l) => n + l.count, 0));
  });

  it('names a missing graph', async () => {
    const dir = bundleCopy();
    rmSync(join(dir, 'decoder.onnx'));
    await rejectsNaming(loadBundle(dir), 'missing-file', 'decoder.onnx');
  });

  it('names a truncated graph', async () => {
    const dir = bundleCopy();
    truncateSync(join(dir, 'av_encoder.onnx'), 1000);
    await rejectsNaming(loadBundle(dir), 'corrupt-file', 'av_encoder.onnx');
  });

  it('names a tampered tokenizer', async () => {
    const dir = bundleCopy();
    appendFileSync(join(dir, 'tokenizer.json'), ' ');
    await rejectsNaming(loadBundle(dir), 'corrupt-file', 'tokenizer.json');
  });

  it('names the manifest field that breaks the schema', async () => {
    const dir = bundleCopy();
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { decoder: { layers: unknown } };
    m.decoder.layers = 'four';
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
    await rejectsNaming(loadBundle(dir), 'bad-manifest', 'decoder.layers');
  });

  it('refuses a newer schema version with a sentence saying so', async () => {
    const dir = bundleCopy();
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { schemaVersion: number };
    m.schemaVersion = 2;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
    await rejectsNaming(loadBundle(dir), 'unsupported-bundle', 'schemaVersion 2');
  });

  it('names a graph whose inputs differ from the manifest (hashes consistent)', async () => {
    const dir = bundleCopy();
    // The encoder graph stands in for the embedding graph: right hash, wrong inputs and outputs.
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { graphs: { embed_tokens: { file: string } }; files: Record<string, string> };
    m.graphs.embed_tokens.file = 'av_encoder.onnx';
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
    await rejectsNaming(DolphinModel.load(dir, { device: 'cpu' }), 'graph-mismatch', 'av_encoder.onnx');
  });

  it('names a graph that is not ONNX even when its hash was updated to match', async () => {
    const dir = bundleCopy();
    writeFileSync(join(dir, 'embed_tokens.onnx'), 'not a graph');
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: Record<string, string> };
    m.files['embed_tokens.onnx'] = await sha256File(join(dir, 'embed_tokens.onnx'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
    await rejectsNaming(DolphinModel.load(dir, { device: 'cpu' }), 'bad-graph', 'embed_tokens.onnx');
  });

  it('says there is no bundle at a missing folder', async () => {
    await rejectsNaming(loadBundle('/nonexistent/models/x'), 'bundle-not-found', '/nonexistent/models/x');
  });
});

describe('execution providers', () => {
  it('--device cuda without the provider library is one clear line', async () => {
    await assert.rejects(DolphinModel.load(fixtureBundle(), { device: 'cuda' }), (err: unknown) => {
      assert.ok(err instanceof ModelError);
      assert.match(err.message, /^--device cuda cannot run here: .*CUDA provider library.*; use --device auto or cpu\.$/);
      return true;
    });
  });

  it('--device webgpu without an adapter is one clear line (where no Vulkan driver is registered)', async (t) => {
    if (precheck('webgpu') === null) return t.skip('this machine registers a Vulkan driver');
    await assert.rejects(DolphinModel.load(fixtureBundle(), { device: 'webgpu' }), (err: unknown) => {
      assert.ok(err instanceof ModelError);
      assert.match(err.message, /^--device webgpu cannot run here: no Vulkan driver is registered.*; use --device auto or cpu\.$/);
      return true;
    });
  });

  it('auto falls back and reports the provider that runs and why the others were skipped', async () => {
    const m = await DolphinModel.load(fixtureBundle(), { device: 'auto' });
    try {
      assert.ok(['cpu', 'webgpu', 'cuda'].includes(m.provider));
      assert.ok(m.providerNotes.some((n) => n.startsWith(`running on ${m.provider}`)), m.providerNotes.join('; '));
      if (m.provider === 'cpu') {
        assert.ok(m.providerNotes.some((n) => n.startsWith('cuda skipped: ')));
        assert.ok(m.providerNotes.some((n) => n.startsWith('webgpu skipped: ')));
      }
    } finally {
      await m.dispose();
    }
  });
});
