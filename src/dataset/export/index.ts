// `exportDataset`: one entry point for the three export formats.
import type { AvuStore } from '../store';
import { collectGroups, countQa, writeExport, type ExportFormat, type ExportManifest } from './common';
import { dpoFiles } from './dpo';
import { llavaFiles } from './llava';
import { shareGptFiles } from './sharegpt';

export { EXPORT_FORMATS, type ExportFormat, type ExportManifest } from './common';

export function exportDataset(store: AvuStore, format: ExportFormat, outDir: string, opts: { signal?: AbortSignal } = {}): ExportManifest {
  const { groups, excluded, records } = collectGroups(store, opts.signal);
  const files = format === 'llava' ? llavaFiles(groups) : format === 'sharegpt' ? shareGptFiles(groups) : dpoFiles(groups);
  return writeExport(outDir, store.root, format, files, { records, qa: countQa(groups), excluded }, opts.signal, store.problems);
}
