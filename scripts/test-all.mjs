// The whole test run, in order: unit tests (node:test), trainer tests (pytest), the integration suite inside a
// real VS Code (code-server), the Playwright smoke test, the packaged .vsix installed into code-server. Each stage runs in its own process group with a time
// limit; its counts are parsed from its output (or its result file), and the run ends with exactly one line
// "N passed, N failed" summed over all stages. Exit code: 0 only when nothing failed.
// Usage: node scripts/test-all.mjs [--only unit,pytest,slurm,integration,ui,e2e,package]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const scratch = mkdtempSync(join(tmpdir(), 'avu-test-all-'));
const python = process.env.AVU_PYTHON ?? (existsSync(join(root, '.venv/bin/python')) ? join(root, '.venv/bin/python') : 'python3');
const minutes = (m) => m * 60_000;

/** Runs a command in its own process group, mirrors its output, returns { code, output, timedOut, seconds }. */
function runStage(cmd, args, { env = {}, timeoutMs }) {
  return new Promise((resolveRun) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk, sink) => {
      sink.write(chunk);
      output = (output + chunk.toString('utf8')).slice(-400_000);
    };
    child.stdout.on('data', (c) => keep(c, process.stdout));
    child.stderr.on('data', (c) => keep(c, process.stderr));
    let timedOut = false;
    const killGroup = (sig) => {
      try {
        process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 5000).unref();
    }, timeoutMs);
    const finish = (code) => {
      clearTimeout(timer);
      killGroup('SIGKILL'); // nothing the stage started may outlive it
      resolveRun({ code, output, timedOut, seconds: (Date.now() - t0) / 1000 });
    };
    child.on('error', (err) => {
      output += `\n${err.message}`;
      finish(127);
    });
    child.on('close', (code, signal) => finish(code ?? (signal ? 128 : 1)));
  });
}

const lastInt = (text, re) => {
  const all = [...text.matchAll(re)];
  return all.length ? Number(all[all.length - 1][1]) : undefined;
};

function hasPythonTests(dir) {
  if (!existsSync(dir)) return false;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== '__pycache__' && hasPythonTests(p)) return true;
    } else if (/^test_.*\.py$|_test\.py$/.test(name)) return true;
  }
  return false;
}

function readResult(file) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    if (Number.isInteger(r.passed) && Number.isInteger(r.failed)) return { passed: r.passed, failed: r.failed };
  } catch {
    // no (valid) result file: the stage died early
  }
  return undefined;
}

const stages = [
  {
    name: 'unit',
    async run() {
      const r = await runStage(process.execPath, ['scripts/run-unit-tests.mjs'], { timeoutMs: minutes(20) });
      const passed = lastInt(r.output, /^ℹ pass (\d+)$/gm);
      const failed = (lastInt(r.output, /^ℹ fail (\d+)$/gm) ?? 0) + (lastInt(r.output, /^ℹ cancelled (\d+)$/gm) ?? 0);
      return { r, passed: passed ?? 0, failed, parsed: passed !== undefined };
    },
  },
  {
    name: 'pytest',
    async run() {
      const r = await runStage(python, ['-m', 'pytest', 'trainer', '-q', '-p', 'no:cacheprovider'], { timeoutMs: minutes(20) });
      // The final summary, e.g. "12 passed, 1 failed, 2 errors in 3.41s" (the last line that has "in N s").
      const summary = r.output.split('\n').filter((l) => /\d+ (passed|failed|errors?)\b.* in [\d.]+s/.test(l)).pop() ?? '';
      const count = (word) => lastInt(summary, new RegExp(`(\\d+) ${word}\\b`, 'g')) ?? 0;
      if (r.code === 5 && !hasPythonTests(join(root, 'trainer'))) {
        console.log('pytest: the trainer has no tests yet (exit 5, nothing collected)');
        return { r: { ...r, code: 0 }, passed: 0, failed: 0, parsed: true };
      }
      return { r, passed: count('passed'), failed: count('failed') + count('errors?'), parsed: summary !== '' };
    },
  },
  {
    // A real single-node Slurm cluster (scripts/slurm-ci.sh, up and down inside the test file): avu caption --slurm
    // and avu finetune --launcher slurm, with states and exit codes from sacct. Fails when Slurm is not installed.
    name: 'slurm',
    async run() {
      const r = await runStage(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', 'test/slurm/cluster.slurm.ts'], { timeoutMs: minutes(10) });
      const passed = lastInt(r.output, /^ℹ pass (\d+)$/gm);
      const failed = (lastInt(r.output, /^ℹ fail (\d+)$/gm) ?? 0) + (lastInt(r.output, /^ℹ cancelled (\d+)$/gm) ?? 0);
      return { r, passed: passed ?? 0, failed, parsed: passed !== undefined };
    },
  },
  {
    name: 'integration',
    async run() {
      const file = join(scratch, 'integration.json');
      const r = await runStage(process.execPath, ['--import', 'tsx', 'test/vscode/run-code-server.ts'], { env: { AVU_RESULT_FILE: file }, timeoutMs: minutes(8) });
      const res = readResult(file);
      return { r, passed: res?.passed ?? 0, failed: res?.failed ?? 0, parsed: res !== undefined };
    },
  },
  {
    // The review panel driven as a person does (screenshots and latency figures under out/ui-artifacts).
    name: 'ui',
    async run() {
      const file = join(scratch, 'ui.json');
      const shots = join(root, 'out', 'ui-artifacts');
      const r = await runStage(process.execPath, ['--import', 'tsx', 'test/e2e/review.e2e.ts'], { env: { AVU_RESULT_FILE: file, AVU_SCREENSHOT_DIR: shots }, timeoutMs: minutes(10) });
      const res = readResult(file);
      return { r, passed: res?.passed ?? 0, failed: res?.failed ?? 0, parsed: res !== undefined };
    },
  },
  {
    name: 'e2e',
    async run() {
      const file = join(scratch, 'e2e.json');
      const r = await runStage(process.execPath, ['--import', 'tsx', 'test/e2e/smoke.e2e.ts'], { env: { AVU_RESULT_FILE: file }, timeoutMs: minutes(6) });
      const res = readResult(file);
      return { r, passed: res?.passed ?? 0, failed: res?.failed ?? 0, parsed: res !== undefined };
    },
  },
  {
    // npm run package (a production build into dist/), then the .vsix installed into code-server and activated.
    name: 'package',
    async run() {
      const file = join(scratch, 'package.json');
      const r = await runStage(process.execPath, ['--import', 'tsx', 'test/package/vsix.e2e.ts'], { env: { AVU_RESULT_FILE: file }, timeoutMs: minutes(8) });
      const res = readResult(file);
      return { r, passed: res?.passed ?? 0, failed: res?.failed ?? 0, parsed: res !== undefined };
    },
  },
];

const onlyArg = process.argv.indexOf('--only');
const only = onlyArg >= 0 ? new Set((process.argv[onlyArg + 1] ?? '').split(',')) : undefined;
const rows = [];
let passed = 0;
let failed = 0;
for (const stage of stages) {
  if (only && !only.has(stage.name)) continue;
  console.log(`\n=== ${stage.name} ===`);
  const { r, passed: p, failed: f0, parsed } = await stage.run();
  let f = f0;
  let note = '';
  // A stage that exits non-zero (or times out) without a counted failure still failed: count it once.
  if (r.timedOut) note = `timed out after ${r.seconds.toFixed(0)} s`;
  else if (!parsed) note = `no test counts in its output (exit ${r.code})`;
  if ((r.code !== 0 || r.timedOut) && f === 0) {
    f = 1;
    note ||= `exit ${r.code} with no failed test counted`;
  }
  passed += p;
  failed += f;
  rows.push(`${stage.name.padEnd(12)} ${String(p).padStart(4)} passed ${String(f).padStart(4)} failed  ${r.seconds.toFixed(1).padStart(6)} s${note ? `  (${note})` : ''}`);
}
rmSync(scratch, { recursive: true, force: true });
console.log(`\n${rows.join('\n')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
