// Which dataset a clip belongs to: the folder itself, the nearest folder above holding .avu/, or the
// clip's own folder; and clip paths inside it with forward slashes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clipPathInDataset, findDatasetRoot, requireClipInDataset } from '../../src/dataset';
import { DatasetError } from '../../src/core/errors';

describe('findDatasetRoot', () => {
  const top = mkdtempSync(join(tmpdir(), 'avu-root-'));
  const ds = join(top, 'ds');
  mkdirSync(join(ds, '.avu'), { recursive: true });
  mkdirSync(join(ds, 'a', 'b'), { recursive: true });
  mkdirSync(join(top, 'loose'), { recursive: true });
  for (const f of [join(ds, 'x.mp4'), join(ds, 'a', 'b', 'y.mp4'), join(top, 'loose', 'z.mp4')]) writeFileSync(f, '');

  it('a folder is its own root', () => {
    assert.equal(findDatasetRoot(join(ds, 'a')), join(ds, 'a'));
    assert.equal(findDatasetRoot(ds), ds);
  });

  it('a clip belongs to the nearest folder above it holding .avu/', () => {
    assert.equal(findDatasetRoot(join(ds, 'x.mp4')), ds);
    assert.equal(findDatasetRoot(join(ds, 'a', 'b', 'y.mp4')), ds);
    mkdirSync(join(ds, 'a', '.avu'));
    assert.equal(findDatasetRoot(join(ds, 'a', 'b', 'y.mp4')), join(ds, 'a'));
  });

  it('a clip with no store above it belongs to its own folder, and nothing is created', () => {
    assert.equal(findDatasetRoot(join(top, 'loose', 'z.mp4')), join(top, 'loose'));
    assert.equal(findDatasetRoot(join(top, 'loose', 'missing.mp4')), join(top, 'loose'));
    assert.equal(existsSync(join(top, 'loose', '.avu')), false);
  });

  it('clip paths are relative with forward slashes, and undefined outside the root', () => {
    assert.equal(clipPathInDataset(ds, join(ds, 'a', 'b', 'y.mp4')), 'a/b/y.mp4');
    assert.equal(clipPathInDataset(ds, join(top, 'loose', 'z.mp4')), undefined);
    assert.equal(clipPathInDataset(ds, ds), undefined);
    assert.equal(clipPathInDataset(join(ds, 'a'), join(ds, 'ab.mp4')), undefined);
    assert.equal(clipPathInDataset(ds, join(ds, '..x.mp4')), '..x.mp4');
    assert.throws(() => requireClipInDataset(ds, join(top, 'loose', 'z.mp4')), (e: unknown) => e instanceof DatasetError && /not inside the dataset/.test(e.message));
  });
});
