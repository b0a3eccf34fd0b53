// Builds the linux-x64 .vsix: out/avu-studio-linux-x64.vsix (`npm run package`).
//
// dist/extension.js is one bundle; only the packages scripts/build.mjs leaves external are resolved from
// node_modules at run time. So the extension is packaged from a stage folder (out/package/stage) that holds
// the production build, the default model and a node_modules with just those packages and what they depend
// on, copied from this checkout's node_modules (nothing is downloaded). vsce's npm dependency mode then finds
// exactly that tree, and .vscodeignore (a whitelist) keeps of it what runs on linux-x64 with the CPU provider.
//
// ffmpeg/ffprobe: src/media/tools.ts takes the avu.ffmpegPath setting, then AVU_FFMPEG, then PATH, and only
// then @ffmpeg-installer/@ffprobe-installer. The package leaves those two out: they would take it from 41 MB
// to 94 MB (147 MB unpacked) for the machines that have no ffmpeg on PATH, where the extension says to
// install it. --with-ffmpeg puts their linux-x64 binaries in.
//
// Usage: node scripts/package.mjs [--with-ffmpeg] [--no-build] [--out FILE]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, openSync, readFileSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const TARGET = 'linux-x64';
export const DEFAULT_VSIX = join(root, 'out', `avu-studio-${TARGET}.vsix`);

/** The packages the bundle requires at run time (scripts/build.mjs's `external`, less `vscode`). */
const RUNTIME = ['onnxruntime-node'];
const FFMPEG = ['@ffmpeg-installer/ffmpeg', '@ffprobe-installer/ffprobe'];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

/** Node's lookup of `name` from the package folder `from`: the nearest node_modules/<name> up to the root. */
function findPackage(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

/**
 * The dependency closure of `names` in this checkout's node_modules: dependencies always, optional
 * dependencies where npm installed them (the installers' other platforms are not). Returns package folders.
 */
function closure(names) {
  const seen = new Set();
  const visit = (name, from, optional) => {
    const dir = findPackage(name, from);
    if (!dir) {
      if (optional) return;
      throw new Error(`${name} is not installed (needed from ${relative(root, from) || '.'}); run: ONNXRUNTIME_NODE_INSTALL=skip npm ci`);
    }
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, dir, true);
  };
  for (const name of names) visit(name, root, false);
  return [...seen].sort();
}

/** onnxruntime-node carries every platform's binaries: copy only linux/x64's into the stage. */
function keepForTarget(src) {
  const m = /[\\/]onnxruntime-node[\\/]bin[\\/]napi-v\d+[\\/](.*)$/.exec(src);
  if (!m) return true;
  const rest = m[1].split(/[\\/]/);
  return rest[0] === 'linux' && (rest.length === 1 || rest[1] === 'x64');
}

function stage(dir, withFfmpeg) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const runtime = withFfmpeg ? [...RUNTIME, ...FFMPEG] : RUNTIME;
  for (const name of runtime) {
    if (!pkg.dependencies?.[name]) throw new Error(`${name} is not in package.json's dependencies`);
  }
  // The manifest VS Code reads: the extension's own fields, with only the packages that ship as dependencies.
  const manifest = { ...pkg, dependencies: Object.fromEntries(runtime.map((n) => [n, pkg.dependencies[n]])) };
  delete manifest.devDependencies;
  delete manifest.scripts;
  delete manifest.bin; // the CLI (dist/cli.js) is not in the .vsix
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  cpSync(join(root, 'README.md'), join(dir, 'README.md'));
  for (const f of ['extension.js', 'webview.js']) cpSync(join(root, 'dist', f), join(dir, 'dist', f));
  // The webview's styles and the extension's icons (the review editor serves media/ to its webview).
  if (existsSync(join(root, 'media'))) cpSync(join(root, 'media'), join(dir, 'media'), { recursive: true });
  cpSync(join(root, 'models', 'dolphin-tiny'), join(dir, 'models', 'dolphin-tiny'), { recursive: true });
  const packages = closure(runtime);
  for (const src of packages) {
    cpSync(src, join(dir, relative(root, src)), { recursive: true, filter: keepForTarget });
  }
  return packages.map((p) => relative(join(root, 'node_modules'), p));
}

/** Entries of a zip file from its central directory: { name, size, compressed }. */
export function zipEntries(file) {
  const fd = openSync(file, 'r');
  try {
    const total = statSync(file).size;
    const tailLen = Math.min(total, 65_557);
    const tail = Buffer.alloc(tailLen);
    readSync(fd, tail, 0, tailLen, total - tailLen);
    const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (eocd < 0) throw new Error(`${file} is not a zip file`);
    const count = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    const cd = Buffer.alloc(cdSize);
    readSync(fd, cd, 0, cdSize, cdOffset);
    const entries = [];
    for (let p = 0, i = 0; i < count; i++) {
      if (cd.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${i}`);
      const compressed = cd.readUInt32LE(p + 20);
      const size = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      entries.push({ name: cd.toString('utf8', p + 46, p + 46 + nameLen), size, compressed });
      p += 46 + nameLen + extraLen + commentLen;
    }
    return entries;
  } finally {
    closeSync(fd);
  }
}

const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;

export function describeVsix(file, top = 10) {
  const entries = zipEntries(file);
  const lines = [`${relative(process.cwd(), file)}: ${mb(statSync(file).size)}, ${entries.length} entries, ${mb(entries.reduce((s, e) => s + e.size, 0))} unpacked`];
  lines.push('largest entries (unpacked / in the .vsix):');
  for (const e of [...entries].sort((a, b) => b.size - a.size).slice(0, top)) {
    lines.push(`  ${mb(e.size).padStart(9)} ${mb(e.compressed).padStart(9)}  ${e.name}`);
  }
  return lines.join('\n');
}

function main(argv) {
  const withFfmpeg = argv.includes('--with-ffmpeg');
  const outArg = argv.indexOf('--out');
  const out = outArg >= 0 ? resolve(argv[outArg + 1]) : DEFAULT_VSIX;
  const t0 = Date.now();
  if (!argv.includes('--no-build')) run(process.execPath, ['scripts/build.mjs', '--production']);
  const dir = join(root, 'out', 'package', 'stage');
  const packages = stage(dir, withFfmpeg);
  console.error(`package: staged node_modules: ${packages.join(', ')}`);
  mkdirSync(dirname(out), { recursive: true });
  rmSync(out, { force: true });
  const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  if (!existsSync(vsce)) throw new Error('@vscode/vsce is not installed; run: ONNXRUNTIME_NODE_INSTALL=skip npm ci');
  run(process.execPath, [
    vsce, 'package', '--target', TARGET, '--out', out, '--dependencies', '--no-yarn',
    '--ignoreFile', join(root, '.vscodeignore'),
    // No LICENSE file or repository URL in this repo yet, and README's links are to files of the checkout.
    '--skip-license', '--allow-missing-repository', '--no-rewrite-relative-links',
  ], { cwd: dir });
  console.log(describeVsix(out));
  console.error(`package: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`package: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
