// `avu export <dataset> --format llava|sharegpt|dpo --out <dir>`: training files of the accepted Q&A
// of kept samples, split by stage, with a manifest (counts, hashes).
import type { Command } from '../command';
import { parseCommandArgs } from '../command';
import { UsageError } from '../../core/errors';
import { AvuStore } from '../../dataset/store';
import { EXPORT_FORMATS, exportDataset } from '../../dataset/export';
import { checkExportTarget } from '../../dataset/export/common';

const HELP = `Usage: avu export <dataset> --format llava|sharegpt|dpo --out <dir> [--json]

  llava     LLaVA / VideoLLaMA2 conversations with video and audio fields:
            stage1_pretrain.json (AVU-Pretrain), stage2_instruct.json (Multi Q&A, Specific, Negatives, Tasks)
  sharegpt  the same stages as ShareGPT messages + videos + audios, with LLaMA-Factory's dataset_info.json
  dpo       preference pairs where an annotator edited a model answer (chosen: the edit, rejected: the model's)
Only accepted or edited Q&A of samples the rules kept; media paths relative to the dataset root
(manifest.json says where that is from the export folder). Two runs give byte-identical files.
`;

export const command: Command = {
  signals: 'default', // crash-safe writes; a signal ends it at once, even in synchronous work
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('export', argv, {
      format: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(HELP);
      return 0;
    }
    const [root, ...extra] = positionals;
    if (root === undefined || extra.length > 0)
      throw new UsageError('bad-arguments', "avu export takes exactly one dataset folder; run 'avu export --help'.");
    const format = EXPORT_FORMATS.find((f) => f === values.format);
    if (!format) throw new UsageError('bad-arguments', `--format must be one of ${EXPORT_FORMATS.join(', ')}.`);
    if (!values.out) throw new UsageError('bad-arguments', 'avu export needs --out <dir>, the folder for the export files.');
    checkExportTarget(values.out, root); // refused before anything is read: .avu/, a file, a foreign folder
    // Read only: an export moves no user file, takes no lock and works on a read-only copy.
    const store = await AvuStore.open(root, { signal: ctx.signal, readOnly: true });
    const m = exportDataset(store, format, values.out, { signal: ctx.signal });
    for (const p of store.problems) ctx.stderr(`avu export: warning: left out ${p.kind} ${p.file}: ${p.detail}\n`);
    if (values.json) ctx.stdout(JSON.stringify(m, null, 2) + '\n');
    else {
      const files = Object.entries(m.counts.samples).map(([n, c]) => `${n} ${c}`).join(', ');
      const x = m.counts.excluded;
      ctx.stdout(
        `avu export: ${format} of ${m.counts.records} records to ${values.out}: ${files}\n` +
          `  left out: ${x.droppedRecords} dropped records, ${x.rejected} rejected, ${x.pending} pending, ${x.otherSubset} of another subset\n` +
          `  content ${m.contentHash}\n`,
      );
    }
    return 0;
  },
};
