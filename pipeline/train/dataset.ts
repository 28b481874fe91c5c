/**
 * Turns raw records into a numeric training set: a float32 row-major matrix
 * in model-input order and 0/1 labels. Every problem names the file, the
 * column and the row.
 *
 * @module
 */
import type { ModelInput } from "../../schemas/manifest.ts";
import { applyTransform, type RawValue, TransformError } from "../features/transforms.ts";
import { TrainingDataError } from "./errors.ts";
import { type RawTable, readTable } from "./_table.ts";

export { parseCsv, parseJsonl, type RawRecord, type RawTable, readTable } from "./_table.ts";

/** A numeric binary-classification data set. */
export interface Dataset {
  /** Where the rows came from (a path or a label). */
  source: string;
  /** Name of the label column. */
  label: string;
  /** The model inputs, in column order of `x`. */
  inputs: ModelInput[];
  /** Number of rows. */
  rows: number;
  /** Row-major `[rows, inputs.length]` values, already rounded to float32 as ONNX sees them. */
  x: Float32Array;
  /** Labels, 0 or 1. */
  y: Uint8Array;
}

/** How to pick the label and the inputs out of a table. */
export interface DatasetOptions {
  /** The label column (values 0/1, true/false). */
  label: string;
  /**
   * The model inputs, in order. A plain name reads that column; an input with
   * a `transform` computes itself from its source column. Default: every
   * column but the label, in file order.
   */
  inputs?: ModelInput[];
}

const NOT_FINITE = /^[+-]?(nan|inf|infinity)$/i;

function fail(source: string, message: string): never {
  throw new TrainingDataError(`Cannot load training data '${source}': ${message}`);
}

function cell(column: string, row: number): string {
  return `column '${column}' row ${row}`;
}

/** Converts a raw cell to a number: numbers, booleans (`True`/`False` → 1/0) and numeric strings. */
function toNumber(source: string, column: string, row: number, v: RawValue, def?: number): number {
  const where = cell(column, row);
  if (v === null || v === undefined || v === "") {
    if (def !== undefined) return def;
    fail(source, `${where} is missing`);
  }
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) fail(source, `${where} is not finite: ${v}`);
    return v;
  }
  if (typeof v === "string") {
    const s = v.trim();
    if (s === "True" || s === "true" || s === "TRUE") return 1;
    if (s === "False" || s === "false" || s === "FALSE") return 0;
    if (NOT_FINITE.test(s)) fail(source, `${where} is not finite: '${s}'`);
    const n = Number(s);
    if (s !== "" && Number.isFinite(n)) return n;
    fail(source, `${where} is not a number: '${s}'`);
  }
  fail(source, `${where} is not a number: ${JSON.stringify(v)}`);
}

/** A CSV cell is always a string: give transforms the number or boolean it spells. */
function coerceRaw(v: RawValue, keepString: boolean): RawValue {
  if (typeof v !== "string" || keepString) return v;
  const s = v.trim();
  if (s === "True" || s === "true") return true;
  if (s === "False" || s === "false") return false;
  const n = Number(s);
  return s !== "" && !NOT_FINITE.test(s) && Number.isFinite(n) ? n : v;
}

function readLabel(source: string, column: string, row: number, v: RawValue): number {
  const n = toNumber(source, column, row, v);
  if (n !== 0 && n !== 1) {
    fail(source, `${cell(column, row)} must be 0 or 1, got ${JSON.stringify(v)}`);
  }
  return n;
}

function computeInput(table: RawTable, input: ModelInput, row: number, v: RawValue): number {
  const t = input.transform;
  if (!t) return toNumber(table.source, input.name, row, v, input.default);
  if (
    (v === null || v === undefined || v === "") && input.default !== undefined &&
    t.kind !== "crc32_mod"
  ) {
    return input.default;
  }
  try {
    const out = applyTransform(t, coerceRaw(v, t.kind === "crc32_mod"));
    if (!Number.isFinite(out)) {
      fail(table.source, `column '${t.source}' row ${row} gives a non-finite '${input.name}'`);
    }
    return out;
  } catch (cause) {
    if (!(cause instanceof TransformError)) throw cause;
    throw new TrainingDataError(
      `Cannot load training data '${table.source}': column '${t.source}' row ${row} cannot become '${input.name}' (${t.kind}): ${cause.message}`,
      { cause },
    );
  }
}

/** Builds a numeric data set from raw records, or throws naming file, column and row. */
export function buildDataset(table: RawTable, options: DatasetOptions): Dataset {
  const { source, records } = table;
  const label = options.label;
  if (records.length === 0) fail(source, "file has no data rows");
  if (!table.columns.includes(label)) {
    fail(source, `label column '${label}' not found (columns: ${table.columns.join(", ")})`);
  }
  const inputs = options.inputs ??
    table.columns.filter((c) => c !== label).map((name): ModelInput => ({
      name,
      dtype: "float32",
    }));
  if (inputs.length === 0) fail(source, `no feature columns besides the label '${label}'`);
  const readFrom = inputs.map((i) => i.transform?.source ?? i.name);
  for (let f = 0; f < inputs.length; f++) {
    if (inputs[f].name === label || readFrom[f] === label) {
      fail(source, `feature '${inputs[f].name}' must not be the label column '${label}'`);
    }
    if (!table.columns.includes(readFrom[f]) && inputs[f].default === undefined) {
      fail(
        source,
        `feature column '${readFrom[f]}' not found (columns: ${table.columns.join(", ")})`,
      );
    }
  }
  const n = records.length;
  const width = inputs.length;
  const x = new Float32Array(n * width);
  const y = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const rec = records[r];
    y[r] = readLabel(source, label, r + 1, rec[label]);
    for (let f = 0; f < width; f++) {
      x[r * width + f] = computeInput(table, inputs[f], r + 1, rec[readFrom[f]]);
    }
  }
  let positives = 0;
  for (let r = 0; r < n; r++) positives += y[r];
  if (positives === 0 || positives === n) {
    fail(
      source,
      `label column '${label}' has only one class (${positives === 0 ? 0 : 1}) in ${n} rows`,
    );
  }
  return { source, label, inputs: inputs.map((i) => ({ ...i, dtype: "float32" })), rows: n, x, y };
}

/** Reads a CSV or JSONL file and builds a numeric data set from it. */
export async function loadDataset(path: string, options: DatasetOptions): Promise<Dataset> {
  return buildDataset(await readTable(path), options);
}

/** Copies the rows `index` of `data` into a new data set. */
export function selectRows(data: Dataset, index: ArrayLike<number>): Dataset {
  const width = data.inputs.length;
  const x = new Float32Array(index.length * width);
  const y = new Uint8Array(index.length);
  for (let i = 0; i < index.length; i++) {
    const r = index[i];
    x.set(data.x.subarray(r * width, (r + 1) * width), i * width);
    y[i] = data.y[r];
  }
  return { ...data, rows: index.length, x, y };
}
