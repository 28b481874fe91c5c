/**
 * Progress of long commands (`ingest`, `features:export`,
 * `features:backfill`, `train`, `replay`): on a terminal, a live bar on
 * stderr with the count, the rate and the time left (`cli-progress`);
 * otherwise nothing until the end, where the command prints its one summary
 * line, so logs and CI output stay one line per run.
 *
 * @example
 * ```ts
 * const progress = new Progress({ label: "ingest", unit: "events", total: fileBytes });
 * progress.update(bytesRead, { count: events });
 * progress.stop();
 * console.log(`accepted ${n} events in ${progress.seconds.toFixed(1)} s`);
 * ```
 *
 * @module
 */
// @ts-types="@types/cli-progress"
import cliProgress from "cli-progress";
import process from "node:process";

/** Options of {@linkcode Progress}. */
export interface ProgressOptions {
  /** What runs, shown before the bar (`ingest`, `export`, ...). */
  label: string;
  /** What is counted (`events`, `rows`, `trees`). */
  unit: string;
  /**
   * How much there is to do, in the units of `update()`; unknown totals show
   * the count and rate without a bar or ETA.
   */
  total?: number;
  /** Draw the live bar (default: when stderr is a terminal). */
  live?: boolean;
}

/** Extra numbers of an update. */
export interface ProgressDetail {
  /**
   * The count shown and used for the rate when the bar advances in other
   * units (an ingest advances by bytes read but counts events).
   */
  count?: number;
}

/** A progress bar on a terminal, silence elsewhere. */
export class Progress {
  readonly #bar: cliProgress.SingleBar | null;
  readonly #started = performance.now();
  readonly #unit: string;
  #count = 0;
  #stopped = false;

  constructor(options: ProgressOptions) {
    this.#unit = options.unit;
    const live = options.live ?? process.stderr.isTTY === true;
    if (!live) {
      this.#bar = null;
      return;
    }
    const known = options.total !== undefined && options.total > 0;
    this.#bar = new cliProgress.SingleBar({
      format: known
        ? `${options.label} {bar} {percentage}% | {count} ${options.unit} | {rate}/s | ETA {eta_formatted}`
        : `${options.label} {count} ${options.unit} | {rate}/s | {elapsed} s`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 5,
    }, cliProgress.Presets.shades_classic);
    this.#bar.start(known ? options.total! : 1, 0, { count: "0", rate: "0", elapsed: "0" });
  }

  /** Seconds since the start. */
  get seconds(): number {
    return (performance.now() - this.#started) / 1000;
  }

  /** Items counted so far. */
  get count(): number {
    return this.#count;
  }

  /** Items per second so far. */
  get rate(): number {
    const s = this.seconds;
    return s > 0 ? this.#count / s : 0;
  }

  /** Sets how far the work is (`value` in the units of `total`). */
  update(value: number, detail: ProgressDetail = {}): void {
    this.#count = detail.count ?? value;
    this.#bar?.update(value, {
      count: this.#count.toLocaleString("en-US"),
      rate: Math.round(this.rate).toLocaleString("en-US"),
      elapsed: this.seconds.toFixed(0),
    });
  }

  /** Removes the bar; the command prints its summary line next. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#bar?.stop();
  }

  /** `N <unit> in S s (R/s)`, the usual tail of a summary line. */
  summary(): string {
    return `${this.#count.toLocaleString("en-US")} ${this.#unit} in ${this.seconds.toFixed(2)} s (${
      Math.round(this.rate).toLocaleString("en-US")
    }/s)`;
  }
}
