// The random-weight bundle the tests run on: built once by fixtures/make_bundle.py into .cache/
// (git-ignored), or the trainer's bundle when AVU_TEST_BUNDLE names one.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findPython } from '../../src/core/python';

const repo = resolve(__dirname, '..', '..');

export function fixtureBundle(): string {
  const fromEnv = process.env.AVU_TEST_BUNDLE;
  if (fromEnv) return resolve(fromEnv);
  const dir = join(__dirname, '.cache', 'bundle');
  if (!existsSync(join(dir, 'manifest.json'))) {
    const r = spawnSync(findPython(repo), [join(__dirname, 'fixtures', 'make_bundle.py'), dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make_bundle.py failed: ${r.stderr}`);
  }
  return dir;
}

/** A private copy of the fixture bundle that a test may damage. */
const copies: string[] = [];
process.on('exit', () => copies.forEach((d) => rmSync(d, { recursive: true, force: true })));

export function bundleCopy(): string {
  const dst = mkdtempSync(join(tmpdir(), 'avu-bundle-'));
  copies.push(dst);
  cpSync(fixtureBundle(), dst, { recursive: true });
  return dst;
}

export function readF32File(path: string): Float32Array {
  const buf = readFileSync(path);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
