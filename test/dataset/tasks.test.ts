// Each converter turns its fixture (written in the dataset's published format) into exact Q&A.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readTaskFile } from '../../src/dataset/tasks/import';
import type { TaskClip } from '../../src/dataset/tasks/common';
import { main } from '../../src/cli/main';
import { AvuStore } from '../../src/dataset/store';
import { recordIdForClip } from '../../src/dataset/sample';

const F = path.join(__dirname, '../fixtures/tasks');

function flat(clips: TaskClip[]): string[] {
  return clips.flatMap((c) => c.qa.map((q) => `${c.clip} [${q.modality}] ${q.q} => ${q.a}`));
}

const BOX_Q = 'What is the bounding box of the sounding object, as x1, y1, x2, y2 in fractions of the frame width and height?';

test('AVE Annotations.txt: the event and the seconds it is seen and heard', () => {
  const clips = readTaskFile('ave', path.join(F, 'ave/Annotations.txt'));
  assert.deepEqual(flat(clips), [
    '-0Lsbc8Cn2s.mp4 [av] What audio-visual event happens in the video? => Acoustic guitar.',
    '-0Lsbc8Cn2s.mp4 [av] When can the acoustic guitar be both seen and heard? => From 2 to 6 seconds.',
    'RUhOCu3LNXM.mp4 [av] What audio-visual event happens in the video? => Church bell.',
    'RUhOCu3LNXM.mp4 [av] When can the church bell be both seen and heard? => From 0 to 10 seconds.',
    'XUkg7ug4Uf0.mp4 [av] What audio-visual event happens in the video? => Male speech, man speaking.',
    'XUkg7ug4Uf0.mp4 [av] When can the male speech, man speaking be both seen and heard? => From 3 to 8 seconds.',
  ]);
  assert.deepEqual(clips.map((c) => [c.durationS, c.labels]), [[10, ['Acoustic guitar']], [10, ['Church bell']], [10, ['Male speech, man speaking']]]);
  for (const q of clips.flatMap((c) => c.qa)) assert.deepEqual([q.subset, q.origin, q.status], ['tasks', 'task', 'accepted']);
});

test('LLP/AVVP: weak labels and the audio and visual segments', () => {
  assert.deepEqual(flat(readTaskFile('llp', path.join(F, 'llp/AVVP_train.csv'))), [
    '-0A9suni5YA_0_10.mp4 [av] Which events occur in the video? => Speech and dog.',
    '00BDwKBD5i8_30_40.mp4 [av] Which events occur in the video? => Acoustic guitar, singing and cheering.',
  ]);
  assert.deepEqual(flat(readTaskFile('llp', path.join(F, 'llp/AVVP_eval_audio.csv'))), [
    '-0A9suni5YA_0_10.mp4 [audio] When can the speech be heard? => From 0 to 3 seconds and from 6 to 10 seconds.',
    '-0A9suni5YA_0_10.mp4 [audio] When can the dog be heard? => From 2 to 5 seconds.',
    '00BDwKBD5i8_30_40.mp4 [audio] When can the acoustic guitar be heard? => From 0 to 10 seconds.',
  ]);
  assert.deepEqual(flat(readTaskFile('llp', path.join(F, 'llp/AVVP_eval_visual.csv'))), [
    '-0A9suni5YA_0_10.mp4 [visual] When can the dog be seen? => From 1 to 4 seconds.',
  ]);
});

test('MUSIC-AVQA: templates filled, modality from the type, deleted questions skipped', () => {
  assert.deepEqual(flat(readTaskFile('avqa', path.join(F, 'avqa/avqa-test.json'))), [
    '00000272.mp4 [audio] How many musical instruments were heard throughout the video? => Two.',
    '00000272.mp4 [av] Is the cello in the video always playing? => Yes.',
    '00000823.mp4 [visual] Where is the first sounding instrument? => Left.',
  ]);
});

test('AVL: Flickr-SoundNet XML boxes (annotators averaged) and VGG-SS boxes', () => {
  assert.deepEqual(flat(readTaskFile('avl', path.join(F, 'avl/flickr'))), [
    // mean box (24, 40, 88, 104) / 256; centre (0.22, 0.28): top left
    '10000130166.mp4 [av] Where is the sound coming from in the frame? => From the top left of the frame.',
    `10000130166.mp4 [av] ${BOX_Q} => [0.09, 0.16, 0.34, 0.41]`,
    // (96, 160, 160, 240) / 256; centre (0.5, 0.78): bottom
    '10001218153.mp4 [av] Where is the sound coming from in the frame? => From the bottom of the frame.',
    `10001218153.mp4 [av] ${BOX_Q} => [0.38, 0.63, 0.63, 0.94]`,
  ]);
  assert.deepEqual(flat(readTaskFile('avl', path.join(F, 'avl/vggss.json'))), [
    '--OG4XRsuMA_000100.mp4 [av] What is making the sound? => Playing violin, fiddle.',
    '--OG4XRsuMA_000100.mp4 [av] Where is the sound coming from in the frame? => From the top right of the frame.',
    `--OG4XRsuMA_000100.mp4 [av] ${BOX_Q} => [0.60, 0.10, 0.90, 0.50]`,
    '-1eZ4ZfbuDM_000030.mp4 [av] What is making the sound? => Dog barking.',
    '-1eZ4ZfbuDM_000030.mp4 [av] Where is the sound coming from in the frame? => From the centre of the frame.',
    `-1eZ4ZfbuDM_000030.mp4 [av] ${BOX_Q} => [0.25, 0.30, 0.75, 0.70]`,
  ]);
});

test('AVS-Bench: where the sounding object is each second, from the mask centroid', () => {
  const clips = readTaskFile('avs', path.join(F, 'avs/s4_meta_data.csv'));
  assert.deepEqual(flat(clips), [
    '-0OUNoLEwhs_0_5.mp4 [av] Where is the sounding object (dog barking) from 0 to 1 seconds? => At the top left of the frame.',
    '-0OUNoLEwhs_0_5.mp4 [av] Where is the sounding object (dog barking) from 1 to 2 seconds? => In the centre of the frame.',
    '-0OUNoLEwhs_0_5.mp4 [av] Where is the sounding object (dog barking) from 2 to 3 seconds? => On the right of the frame.',
    '-0OUNoLEwhs_0_5.mp4 [av] Where is the sounding object (dog barking) from 3 to 4 seconds? => At the bottom of the frame.',
    '-0OUNoLEwhs_0_5.mp4 [av] Where is the sounding object (dog barking) from 4 to 5 seconds? => It is not visible in the frame.',
    '0PFAs9M1pkI_10_15.mp4 [av] Where is the sounding object (playing guitar) from 0 to 1 seconds? => At the top right of the frame.',
  ]);
});

test('avu tasks import merges files into one record per clip; bad input gets one line and a non-zero exit', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'avu-tasks-'));
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) };
  for (const f of ['AVVP_train.csv', 'AVVP_eval_audio.csv', 'AVVP_eval_visual.csv'])
    assert.equal(await main(['tasks', 'import', '--format', 'llp', path.join(F, 'llp', f), '--dataset', dir, '--clip-dir', 'videos'], io), 0);
  // Importing again changes nothing.
  assert.equal(await main(['tasks', 'import', '--format', 'llp', path.join(F, 'llp/AVVP_train.csv'), '--dataset', dir, '--clip-dir', 'videos'], io), 0);
  const store = await AvuStore.open(dir);
  const r = store.get(recordIdForClip('videos/-0A9suni5YA_0_10.mp4'))!;
  assert.equal(r.clip, 'videos/-0A9suni5YA_0_10.mp4');
  assert.equal(r.subset, 'tasks');
  assert.deepEqual(r.source, { dataset: 'llp', labels: ['Speech', 'Dog'] });
  assert.equal(r.qa.length, 4);
  assert.equal(store.ids().length, 2);

  err.length = 0;
  assert.equal(await main(['tasks', 'import', '--format', 'ave', path.join(F, 'llp/AVVP_train.csv'), '--dataset', dir], io), 1);
  assert.equal(err.length, 1);
  assert.match(err[0]!, /^avu tasks: AVVP_train\.csv line 1 should have 5 fields separated by '&'/);
  err.length = 0;
  assert.equal(await main(['tasks', 'import', '--format', 'xyz', 'f', '--dataset', dir], io), 2);
  assert.match(err[0]!, /--format must be one of ave, llp, avqa, avl, avs/);
});
