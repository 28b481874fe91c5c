/**
 * Stratified train/validation split, identical for a seed on every machine.
 *
 * @module
 */
import { seededRandom, shuffleInPlace } from "./_random.ts";
import { TrainError } from "./errors.ts";

/** Options of {@linkcode stratifiedSplit}. */
export interface SplitOptions {
  /** Fraction of each class held out for validation. Default 0.2. */
  validationFraction?: number;
  /** Seed of the shuffle. Default 42. */
  seed?: number;
}

/** Row indices of each side of a split, ascending. */
export interface Split {
  train: Uint32Array;
  validation: Uint32Array;
}

/**
 * Splits rows so each class keeps its share on both sides: per class, the
 * rows are shuffled with the seed and `round(n × fraction)` of them (at
 * least one when the class has two or more rows) go to validation.
 */
export function stratifiedSplit(y: ArrayLike<number>, options: SplitOptions = {}): Split {
  const fraction = options.validationFraction ?? 0.2;
  const seed = options.seed ?? 42;
  if (!(fraction > 0 && fraction < 1)) {
    throw new TrainError("training_options_invalid", `Invalid validation fraction: ${fraction}`);
  }
  const random = seededRandom(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < y.length; i++) {
    const list = byClass.get(y[i]);
    if (list) list.push(i);
    else byClass.set(y[i], [i]);
  }
  const train: number[] = [];
  const validation: number[] = [];
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = byClass.get(cls)!;
    shuffleInPlace(rows, random);
    let take = Math.round(rows.length * fraction);
    if (take === 0 && rows.length >= 2) take = 1;
    if (take === rows.length) take = rows.length - 1;
    validation.push(...rows.slice(0, take));
    train.push(...rows.slice(take));
  }
  return {
    train: Uint32Array.from(train.sort((a, b) => a - b)),
    validation: Uint32Array.from(validation.sort((a, b) => a - b)),
  };
}
