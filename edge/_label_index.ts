/**
 * Entries by positional label values, found through one map per label: no
 * joined key string is built (and hashed) per call, as prom-client does on
 * every `inc`/`observe`.
 *
 * @module
 */

/** Entries by label values, created on first use, kept in creation order. */
export class LabelIndex<T> {
  /** Every entry, in creation order. */
  readonly entries: T[] = [];
  readonly #root = new Map<string, unknown>();
  readonly #make: (labels: string[]) => T;

  constructor(make: (labels: string[]) => T) {
    this.#make = make;
  }

  /** The entry of `labels` (at least one value), created on first use. */
  get(labels: string[]): T {
    let m = this.#root;
    const last = labels.length - 1;
    for (let i = 0; i < last; i++) {
      let next = m.get(labels[i]) as Map<string, unknown> | undefined;
      if (!next) {
        next = new Map();
        m.set(labels[i], next);
      }
      m = next;
    }
    let e = m.get(labels[last]) as T | undefined;
    if (e === undefined) {
      e = this.#make(labels);
      m.set(labels[last], e);
      this.entries.push(e);
    }
    return e;
  }
}
