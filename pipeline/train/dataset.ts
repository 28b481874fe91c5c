/**
 * Turns raw records into a numeric training set: a float32 row-major matrix
 * in model-input order and 0/1 labels. Every row is built by the one row
 * assembler (`pipeline/features/row.ts`), the code the edge serves with, so
 * training and serving read a value the same way. Every problem names the
 * file, the column and the row.
 *
 * @module
 */
import type { ModelInput } from "../../schemas/manifest.ts";
import { transformOperands } from "../../schemas/transform.ts";
import { type RawValue, RowAssembler, SCALAR_KINDS, TIME_KINDS } from "../features/mod.ts";
import { parseIsoUtc } from "../../schemas/time.ts";
import { TrainingDataError } from "./errors.ts";
import { type RawTable, readTable } from "./_table.ts";

export { parseCsv, parseJsonl, type RawRecord, type RawTable, readTable } from "./_table.ts";

/** A numeric binary-classification data set. */
export interface Dataset {
  /** Where the rows came from (a path or a label). */
  source: string;
  /** Name of the label column. */
  label: string;
  /** The model inputs, in column order of `x` (with their training range). */
  inputs: ModelInput[];
  /** Request-time features the inputs' transforms read without being inputs. */
  requestFeatures: ModelInput[];
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
   * a `transform` computes itself from its source column(s). Default: every
   * column but the label, in file order. An input without a transform or a
   * dtype is typed from its column: `bool` when every value is a boolean,
   * `float32` otherwise.
   */
  inputs?: DatasetInput[];
  /** Named request-time features the inputs' transforms read (not inputs themselves). */
  requestFeatures?: ModelInput[];
}

/** A model input whose dtype may be left to the data. */
export type DatasetInput = Omit<ModelInput, "dtype"> & { dtype?: ModelInput["dtype"] };

const BOOL_TEXT = /^(true|false)$/i;

function fail(source: string, message: string): never {
  throw new TrainingDataError(`Cannot load training data '${source}': ${message}`);
}

/** `bool` when every present value of a column is a boolean (or true/false text), else `float32`. */
function inferDtype(table: RawTable, column: string): "float32" | "bool" {
  let any = false;
  for (const r of table.records) {
    const v = r[column];
    if (v === null || v === undefined || v === "") continue;
    any = true;
    if (typeof v === "boolean") continue;
    if (table.text && typeof v === "string" && BOOL_TEXT.test(v.trim())) continue;
    return "float32";
  }
  return any ? "bool" : "float32";
}

function readLabel(
  source: string,
  column: string,
  row: number,
  v: RawValue,
  text: boolean,
): number {
  const where = `column '${column}' row ${row}`;
  if (v === null || v === undefined || v === "") fail(source, `${where} is missing`);
  if (typeof v === "boolean") return v ? 1 : 0;
  const s = typeof v === "string" && text ? v.trim() : v;
  const n = typeof s === "number"
    ? s
    : typeof s === "string" && BOOL_TEXT.test(s)
    ? (/^true$/i.test(s) ? 1 : 0)
    : typeof s === "string" && s !== ""
    ? Number(s)
    : NaN;
  if (n !== 0 && n !== 1) fail(source, `${where} must be 0 or 1, got ${JSON.stringify(v)}`);
  return n;
}

/** The columns an input reads (its own name, or its transform's operands, recursively). */
function columnsOf(input: ModelInput, defs: ReadonlyMap<string, ModelInput>, depth = 0): string[] {
  if (!input.transform || depth > 32) return [input.name];
  if (SCALAR_KINDS.has(input.transform.kind)) {
    const src = (input.transform as { source: string }).source;
    const inner = defs.get(src);
    return inner && inner !== input ? columnsOf(inner, defs, depth + 1) : [src];
  }
  return transformOperands(input.transform).flatMap((o) => {
    const d = defs.get(o);
    return d ? columnsOf(d, defs, depth + 1) : [o];
  });
}

function checkColumns(
  table: RawTable,
  label: string,
  inputs: ModelInput[],
  requestFeatures: ModelInput[],
): void {
  const { source, columns } = table;
  const defs = new Map([...requestFeatures, ...inputs].map((i) => [i.name, i]));
  for (const input of inputs) {
    if (columns.includes(input.name) || input.default !== undefined) continue;
    if (input.transform && TIME_KINDS.has(input.transform.kind)) continue;
    for (const c of columnsOf(input, defs)) {
      if (c === label) {
        fail(source, `feature '${input.name}' must not be the label column '${c}'`);
      }
      if (!columns.includes(c) && !defs.get(c)?.default) {
        fail(source, `feature column '${c}' not found (columns: ${columns.join(", ")})`);
      }
    }
  }
}

/** Builds a numeric data set from raw records, or throws naming file, column and row. */
export function buildDataset(table: RawTable, options: DatasetOptions): Dataset {
  const { source, records } = table;
  const label = options.label;
  const text = table.text ?? false;
  if (records.length === 0) fail(source, "file has no data rows");
  if (!table.columns.includes(label)) {
    fail(source, `label column '${label}' not found (columns: ${table.columns.join(", ")})`);
  }
  const declared: DatasetInput[] = options.inputs ??
    table.columns.filter((c) => c !== label).map((name) => ({ name }));
  const inputs: ModelInput[] = declared.map((i) => ({
    ...i,
    dtype: i.dtype ?? (i.transform ? "float32" : inferDtype(table, i.name)),
  }));
  if (inputs.length === 0) fail(source, `no feature columns besides the label '${label}'`);
  for (const i of inputs) {
    if (i.name === label) {
      fail(source, `feature '${i.name}' must not be the label column '${label}'`);
    }
  }
  const requestFeatures = options.requestFeatures ?? [];
  checkColumns(table, label, inputs, requestFeatures);
  const rows = new RowAssembler({ inputs, requestFeatures });
  const n = records.length;
  const width = inputs.length;
  const x = new Float32Array(n * width);
  const y = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const rec = records[r];
    y[r] = readLabel(source, label, r + 1, rec[label], text);
    const t = rec.timestamp ?? rec.as_of;
    const timeMs = typeof t === "string" ? parseIsoUtc(t) ?? NaN : typeof t === "number" ? t : NaN;
    const a = rows.assemble({ fields: rec, timeMs }, {
      into: x.subarray(r * width, (r + 1) * width),
      text,
      prefix: "",
    });
    const issue = a.issues[0];
    if (issue) fail(source, describeIssue(issue, rec, inputs, r + 1));
    if (a.missing.length > 0) {
      const name = a.missing[0];
      const input = inputs.find((i) => i.name === name)!;
      fail(source, `column '${columnsOf(input, new Map())[0]}' row ${r + 1} is missing`);
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
  return {
    source,
    label,
    inputs: withTrainingRange(inputs, x, n),
    requestFeatures,
    rows: n,
    x,
    y,
  };
}

/** A row's first problem, named by column and row. */
function describeIssue(
  issue: { path: string; message: string },
  rec: Record<string, RawValue>,
  inputs: readonly ModelInput[],
  row: number,
): string {
  const column = issue.path.replace(/^\./, "");
  const value = rec[column];
  const where = `column '${column}' row ${row}`;
  const input = inputs.find((i) => i.name !== column && columnsOf(i, new Map()).includes(column));
  if (input?.transform) {
    return `${where} cannot become '${input.name}' (${input.transform.kind}): ${issue.message}`;
  }
  if (typeof value === "string" && /^[+-]?(nan|inf|infinity)$/i.test(value.trim())) {
    return `${where} is not finite: '${value}'`;
  }
  if (/^Expected a number/.test(issue.message)) {
    const shown = typeof value === "string" ? `'${value}'` : JSON.stringify(value);
    return `${where} is not a number: ${shown}`;
  }
  return `${where} ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}`;
}

/** The inputs with the range and the mean of the values each took in `x`. */
function withTrainingRange(inputs: ModelInput[], x: Float32Array, n: number): ModelInput[] {
  const width = inputs.length;
  return inputs.map((input, f) => {
    let min = Infinity, max = -Infinity, sum = 0;
    for (let r = 0; r < n; r++) {
      const v = x[r * width + f];
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    const mean = n > 0 ? sum / n : 0;
    return { ...input, training_range: { min, max }, training_mean: mean };
  });
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
