// Issue 14's acceptance: the loop teaches the model a label it never saw. AVU-Synth clips whose audio is speech
// (the generator's `speech` variant; the shipped model calls it a whistle or a triangle) are captioned into a
// dataset with the built CLI, corrected through `avu review` as an annotator would (audio answers edited to name
// speech and what is said; the rest accepted or rejected as the ground truth says), fine-tuned with
// `avu finetune --stage instruction` on CPU, and evaluated with `avu eval --baseline` on 40 other speech clips
// and on the original AVU-Synth eval set.
//   node scripts/new-label-scenario.mjs [--work out/new-label] [--clips 40] [--heldout 40] [--eval-clips 100] [--fresh]
// Needs: npm run build (dist/cli.js), the trainer's .venv, ffmpeg, espeak-ng. Every step is skipped when its
// output is already there (rerun after a failure; --fresh starts over). Exit 0 only when both targets are met.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, copyFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    work: { type: 'string', default: join(root, 'out', 'new-label') },
    clips: { type: 'string', default: '40' },
    heldout: { type: 'string', default: '40' },
    'eval-clips': { type: 'string', default: '100' },
    config: { type: 'string' },
    fresh: { type: 'boolean', default: false },
  },
});
const work = resolve(opt.work);
const python = process.env.AVU_PYTHON ?? join(root, '.venv', 'bin', 'python');
const cli = join(root, 'dist', 'cli.js');
const SPEECH_TARGET = 0.8;
const DROP_TARGET_PP = 3;
const t0 = Date.now();
const say = (s) => console.error(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${s}`);

function run(cmd, args, { capture = false, env = {} } = {}) {
  const r = spawnSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', maxBuffer: 1 << 28 });
  if (r.status !== 0) {
    console.error(`scenario: ${cmd} ${args.join(' ')} failed (exit ${r.status})`);
    process.exit(1);
  }
  return r.stdout ?? '';
}
const avu = (args, o) => run(process.execPath, [cli, ...args], o);

function synth(out, count, seed, speech) {
  if (existsSync(out) && readdirSync(out).filter((n) => n.endsWith('.mp4')).length >= count) return;
  run(python, ['-m', 'avu_trainer.synth', '--out', out, '--count', String(count), '--seed', String(seed), '--mode', 'mp4', '--workers', '1', ...(speech ? ['--speech-fraction', '1.0'] : [])], { env: { PYTHONPATH: join(root, 'trainer') } });
}

// as src/inference/eval-metrics.ts normalise(): lower case, punctuation to spaces, no leading article
function norm(text) {
  const words = text.toLowerCase().trim().replace(/(?<!\d)\.|\.(?!\d)/gu, ' ').replace(/[^\p{L}\p{N}_\s.]/gu, ' ').split(/\s+/u).filter(Boolean);
  while (words.length && ['a', 'an', 'the'].includes(words[0])) words.shift();
  return words.join(' ');
}

/** The annotator: one decision per pending item of a clip, from the generator's ground truth. */
function decide(item, gt) {
  const word = gt.qa.find((x) => x.q === 'What does the voice say?')?.a ?? '';
  const gold = gt.qa.find((x) => x.q === item.q);
  const aboutSound = item.modality === 'audio' || (gold && /voice|speech|person/i.test(gold.a));
  if (gold && norm(gold.a) === norm(item.a)) return { action: 'accept' };
  if (gold && aboutSound) return { action: 'edit', answer: gold.a };
  if (item.modality === 'audio') return { action: 'edit', answer: `It is speech: a voice says "${word}".` };
  return { action: 'reject', reason: gold ? `ground truth: ${gold.a}` : 'not in the ground truth' };
}

if (opt.fresh) rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const gen = join(work, 'generated-train');
const dataset = join(work, 'dataset');
const heldout = join(work, 'heldout-speech');
const evalSet = join(work, 'eval-synth');
const base = join(root, 'models', 'dolphin-tiny');
const model = join(work, 'model-new');
if (!existsSync(cli)) {
  console.error('scenario: dist/cli.js is missing; run npm run build first.');
  process.exit(1);
}

say(`generating ${opt.clips} + ${opt.heldout} speech clips and ${opt['eval-clips']} AVU-Synth eval clips`);
synth(gen, Number(opt.clips), 20_000_000, true);
synth(heldout, Number(opt.heldout), 21_000_000, true);
synth(evalSet, Number(opt['eval-clips']), 1_000_000, false); // the seeds of the shipped model's eval.json
mkdirSync(dataset, { recursive: true });
for (const n of readdirSync(gen).filter((n) => n.endsWith('.mp4'))) if (!existsSync(join(dataset, n))) copyFileSync(join(gen, n), join(dataset, n));

if (!existsSync(join(dataset, '.avu', 'records'))) {
  say('captioning the dataset with the shipped model');
  avu(['caption', dataset]);
}

const reviewed = join(work, 'reviewed.json');
if (!existsSync(reviewed)) {
  say('reviewing: edits, rejections and acceptances through avu review');
  const items = avu(['review', dataset, '--list', '--status', 'pending', '--json'], { capture: true }).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const counts = { accept: 0, edit: 0, reject: 0, speechAnswered: 0 };
  const byClip = new Map();
  for (const it of items) byClip.set(it.clip, [...(byClip.get(it.clip) ?? []), it]);
  for (const [clip, its] of byClip) {
    const gt = JSON.parse(readFileSync(join(gen, clip.replace(/\.mp4$/, '.json')), 'utf8'));
    for (const it of its) {
      if (it.q === 'What kind of sound is it?' && norm(it.a) === 'speech') counts.speechAnswered++;
      const d = decide(it, gt);
      counts[d.action]++;
      if (d.action === 'edit') avu(['review', dataset, '--clip', clip, '--qa', it.qaId, 'edit', '--answer', d.answer], { capture: true });
      if (d.action === 'reject') avu(['review', dataset, '--clip', clip, '--qa', it.qaId, 'reject', '--reason', d.reason], { capture: true });
    }
    avu(['review', dataset, '--clip', clip, '--accept-all'], { capture: true });
  }
  writeFileSync(reviewed, JSON.stringify(counts, null, 2) + '\n');
}
const review = JSON.parse(readFileSync(reviewed, 'utf8'));
say(`review: ${review.accept} accepted, ${review.edit} edited, ${review.reject} rejected (the base model said "speech" ${review.speechAnswered} times)`);

let trainWall = null;
if (!existsSync(join(model, 'manifest.json'))) {
  say('fine-tuning (instruction stage, local launcher, CPU)');
  const t = Date.now();
  avu(['finetune', '--dataset', dataset, '--stage', 'instruction', '--base', base, '--launcher', 'local', '--out', model, '--name', 'dolphin-tiny-speech', ...(opt.config ? ['--config', opt.config] : [])]);
  trainWall = (Date.now() - t) / 1000;
}
const lineage = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8')).lineage;

say('evaluating the new model against its base');
const evalOf = (args) => JSON.parse(avu(['eval', '--model', model, '--baseline', base, '--no-reliance', '--json', ...args], { capture: true }));
const speech = evalOf(['--set', heldout]);
const synthEval = evalOf(['--set', evalSet]);
const held = evalOf(['--heldout']);
const row = (res, metric) => res.rows.find((r) => r.metric === metric);
const speechRow = row(speech, 'question: What kind of sound is it?');
const overall = row(synthEval, 'overall');
const dropPp = (overall.base - overall.new) * 100;
const summary = {
  speech_named: { base: speechRow?.base ?? null, new: speechRow?.new ?? null, clips: speech.nClips, target: SPEECH_TARGET },
  avu_synth_eval: { base: overall.base, new: overall.new, drop_pp: Math.round(dropPp * 100) / 100, clips: synthEval.nClips, target_max_drop_pp: DROP_TARGET_PP },
  heldout_accepted: row(held, 'overall') ?? null,
  train_wall_s: trainWall ?? lineage?.metrics?.wall_s ?? null,
  trainer_wall_s: lineage?.metrics?.wall_s ?? null,
  review,
  pass: (speechRow?.new ?? 0) >= SPEECH_TARGET && dropPp <= DROP_TARGET_PP,
};
writeFileSync(join(work, 'summary.json'), JSON.stringify({ ...summary, tables: { speech, synthEval, held } }, null, 2) + '\n');
for (const [name, res] of [['held-out speech clips', speech], ['AVU-Synth eval set', synthEval], ['held-out accepted items', held]]) {
  console.log(`\n${name} (${res.nClips} clips):`);
  console.log(res.table);
}
console.log(`\nspeech named: base ${(summary.speech_named.base * 100).toFixed(1)}%, new ${(summary.speech_named.new * 100).toFixed(1)}% (target ≥ ${SPEECH_TARGET * 100}%)`);
console.log(`AVU-Synth eval overall: base ${(overall.base * 100).toFixed(2)}, new ${(overall.new * 100).toFixed(2)}, drop ${dropPp.toFixed(2)} points (target ≤ ${DROP_TARGET_PP})`);
console.log(`scenario: ${summary.pass ? 'PASS' : 'FAIL'} (summary: ${join(work, 'summary.json')})`);
process.exit(summary.pass ? 0 : 1);
