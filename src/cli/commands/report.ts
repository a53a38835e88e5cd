/** `slicetune report`: an HTML report (opens without network) and SVG charts from the record store. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { RecordStore } from '../../records/store.js';
import { loadLatencyMatrix } from '../../report/matrix.js';
import { latestSweepMatrix } from '../../report/sweep-matrix.js';
import { writeReport } from '../../report/write-report.js';
import { jsonOption } from '../options.js';
import { emit } from '../output.js';

interface ReportOptions {
  db?: string;
  out: string;
  matrix?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('report')
    .description(
      'write an HTML report and SVG charts: tuning curves, trials, failures, GFLOP/s, share matrix',
    )
    .option('--db <file>', 'tuning record store (default: $SLICETUNE_DB, else ./slicetune.db)')
    .option('--out <dir>', 'folder to write report.html and the SVG charts into', 'slicetune-report')
    .option(
      '--matrix <file>',
      'tuned-at x run-at latency matrix (JSON: model, shares, latencyMs, peer?); default: the newest `slicetune sweep` in --db',
    )
    .addOption(jsonOption())
    .action((o: ReportOptions) => {
      const db = resolve(o.db ?? process.env.SLICETUNE_DB ?? 'slicetune.db');
      const store = RecordStore.open(db, { mustExist: true });
      try {
        const matrix = o.matrix === undefined ? latestSweepMatrix(db) : loadLatencyMatrix(o.matrix);
        const written = writeReport(store, resolve(o.out), matrix);
        emit(written, o, () =>
          [
            `report: ${written.html}${written.simulated ? ' (simulated GPU data)' : ''}`,
            `${written.runs} run(s), ${written.records} record(s); charts: ${written.svgs.length} SVG files beside it`,
          ].join('\n'),
        );
      } finally {
        store.close();
      }
    });
}
