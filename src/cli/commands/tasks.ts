// `avu tasks import --format ave|llp|avqa|avl|avs <file> --dataset <dir>`: AVU-Tasks Q&A from the
// published annotation files of downstream audio-visual datasets.
import type { Command } from '../command';
import { lockWaitNote, parseCommandArgs } from '../command';
import { UsageError } from '../../core/errors';
import { AvuStore } from '../../dataset/store';
import { TASK_FORMATS, type TaskFormat } from '../../dataset/tasks/common';
import { importTaskClips, readTasks } from '../../dataset/tasks/import';

const HELP = `Usage: avu tasks import --format ave|llp|avqa|avl|avs <file> --dataset <dir> [options]

Turns downstream annotations into AVU-Tasks Q&A (accepted, origin task) with exact times and places:
  ave    AVE Annotations.txt (Category&VideoID&Quality&StartTime&EndTime)
  llp    LLP/AVVP weak CSV (filename, event_labels) or eval CSV (filename, onset, offset, event_labels)
  avqa   MUSIC-AVQA question JSON (video_id, question_content, templ_values, anser, type)
  avl    VGG-SS vggss.json, or Flickr-SoundNet test annotations (one .xml, or a folder of them)
  avs    AVS-Bench S4 metadata CSV with its gt_masks PNGs
Options:
  --clip-dir REL          folder of the clips inside the dataset (default: the dataset root)
  --ext EXT               clip file extension (default .mp4)
  --modality audio|visual LLP evaluation files: which modality (default: from the file name)
  --masks DIR             AVS-Bench gt_masks folder (default: beside the CSV)
  --json                  the import report as JSON
`;

export const command: Command = {
  signals: 'default', // crash-safe writes; a signal ends it at once, even in synchronous work
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('tasks', argv, {
      format: { type: 'string' },
      dataset: { type: 'string' },
      'clip-dir': { type: 'string' },
      ext: { type: 'string' },
      modality: { type: 'string' },
      masks: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(HELP);
      return 0;
    }
    const [sub, file, ...extra] = positionals;
    if (sub !== 'import' || file === undefined || extra.length > 0)
      throw new UsageError('bad-arguments', "Usage: avu tasks import --format ave|llp|avqa|avl|avs <file> --dataset <dir>; run 'avu tasks --help'.");
    const format = TASK_FORMATS.find((f) => f === values.format);
    if (!format) throw new UsageError('bad-arguments', `--format must be one of ${TASK_FORMATS.join(', ')}.`);
    if (!values.dataset) throw new UsageError('bad-arguments', 'avu tasks import needs --dataset <dir>, the dataset folder to add the Q&A to.');
    const modality = values.modality;
    if (modality !== undefined && modality !== 'audio' && modality !== 'visual')
      throw new UsageError('bad-arguments', '--modality must be audio or visual.');
    const read = readTasks(format as TaskFormat, file, { clipDir: values['clip-dir'], ext: values.ext, modality, masks: values.masks });
    for (const line of read.refused) ctx.stderr(`avu tasks: refused: ${line}\n`);
    const store = await AvuStore.open(values.dataset, { signal: ctx.signal, autoCompactAfter: 0, onLockWait: lockWaitNote('tasks', ctx) });
    let report;
    try {
      report = await importTaskClips(store, format, read.clips, { signal: ctx.signal });
    } finally {
      await store.close();
    }
    if (report.missing.length > 0) {
      const shown = report.missing.slice(0, 5).join(', ') + (report.missing.length > 5 ? ', ...' : '');
      ctx.stderr(`avu tasks: warning: ${report.missing.length} of ${report.clips} clips are not in ${values.dataset} (${shown}); their Q&A are kept, add the files or check --clip-dir and --ext.\n`);
    }
    const refused = { refused: read.refused.length, rows: read.rows };
    if (values.json) ctx.stdout(JSON.stringify({ format, file, ...report, ...refused, refusedRows: read.refused }, null, 2) + '\n');
    else ctx.stdout(`avu tasks: ${report.qa} ${format} Q&A for ${report.clips} clips (${report.created} new records, ${report.updated} updated)\n`);
    if (read.refused.length > 0) {
      ctx.stderr(`avu tasks: refused ${read.refused.length} of ${read.rows} rows of ${file} (listed above); the others were imported. Fix those rows and import again.\n`);
      return 1;
    }
    return 0;
  },
};
