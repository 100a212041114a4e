/**
 * A progress bar for long drill runs, drawn with `cli-progress` on standard error only when that is
 * a terminal and there are enough scripts to make it worth it; otherwise every method does nothing.
 */
import { createRequire } from 'node:module';
import type { DrillRecord } from './records.js';

interface Bar {
  start(total: number, value: number, payload?: Record<string, string>): void;
  increment(delta?: number, payload?: Record<string, string>): void;
  stop(): void;
}

interface CliProgressModule {
  SingleBar: new (options: Record<string, unknown>, preset?: unknown) => Bar;
  Presets: { shades_classic: unknown };
}

/** Scripts below this count finish too fast for a bar to help. */
export const PROGRESS_MIN_TOTAL = 8;

export interface ProgressStream {
  readonly isTTY?: boolean;
  write(s: string): unknown;
}

export class DrillProgress {
  private bar: Bar | undefined;
  private failed = 0;

  constructor(total: number, stream: ProgressStream = process.stderr) {
    if (stream.isTTY !== true || total < PROGRESS_MIN_TOTAL) return;
    const require = createRequire(import.meta.url);
    const cp = require('cli-progress') as CliProgressModule;
    this.bar = new cp.SingleBar(
      {
        stream,
        format: 'drill [{bar}] {value}/{total} | {failed} failed | {name}',
        hideCursor: true,
        clearOnComplete: true,
      },
      cp.Presets.shades_classic,
    );
    this.bar.start(total, 0, { failed: '0', name: '' });
  }

  /** True when a bar is being drawn. */
  get active(): boolean {
    return this.bar !== undefined;
  }

  tick(r: DrillRecord): void {
    if (r.result !== 'pass') this.failed++;
    this.bar?.increment(1, { failed: String(this.failed), name: `${r.path} [${r.variant}]` });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
