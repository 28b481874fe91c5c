/**
 * Reads CSV and JSONL files into raw records, before any column gets a role.
 *
 * @module
 */
import type { RawValue } from "../features/transforms.ts";
import { TrainingDataError } from "./errors.ts";

/** One raw record, keyed by column name. */
export type RawRecord = Record<string, RawValue>;

/** Raw records read from one file (or handed over in memory). */
export interface RawTable {
  /** Where the records came from (a path or a label), used in messages. */
  source: string;
  /** Column names in file order (CSV header, or first appearance in JSONL). */
  columns: string[];
  records: RawRecord[];
  /** Cells are text (CSV): each is parsed by the type of the input that reads it. */
  text?: boolean;
}

/** Splits CSV text into rows of fields (RFC 4180 quotes, CRLF or LF). */
export function splitCsv(text: string): string[][] {
  if (!text.includes('"')) {
    // Fast path: without quotes, lines and commas are the whole grammar.
    return text.split(/\r?\n|\r/).filter((l) => l.trim() !== "").map((l) => l.split(","));
  }
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0].trim() === ""));
}

/** Parses CSV text with a header row; empty fields become `null`. */
export function parseCsv(text: string, source: string): RawTable {
  const rows = splitCsv(text.replace(/^\uFEFF/, ""));
  if (rows.length === 0) {
    throw new TrainingDataError(`Cannot load training data '${source}': file is empty`);
  }
  const columns = rows[0].map((c) => c.trim());
  const seen = new Set<string>();
  for (const c of columns) {
    if (c === "") {
      throw new TrainingDataError(
        `Cannot load training data '${source}': header has an empty column name`,
      );
    }
    if (seen.has(c)) {
      throw new TrainingDataError(
        `Cannot load training data '${source}': column '${c}' appears twice in the header`,
      );
    }
    seen.add(c);
  }
  const records: RawRecord[] = [];
  for (let r = 1; r < rows.length; r++) {
    const fields = rows[r];
    if (fields.length !== columns.length) {
      throw new TrainingDataError(
        `Cannot load training data '${source}': row ${r} has ${fields.length} fields, expected ${columns.length}`,
      );
    }
    const rec: RawRecord = {};
    for (let c = 0; c < columns.length; c++) {
      const v = fields[c].trim();
      rec[columns[c]] = v === "" ? null : v;
    }
    records.push(rec);
  }
  return { source, columns, records, text: true };
}

/** Parses JSON Lines (one object per line; blank lines ignored). */
export function parseJsonl(text: string, source: string): RawTable {
  const columns: string[] = [];
  const known = new Set<string>();
  const records: RawRecord[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw new TrainingDataError(
        `Cannot load training data '${source}': row ${records.length + 1} (line ${
          i + 1
        }) is not valid JSON`,
        { cause },
      );
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new TrainingDataError(
        `Cannot load training data '${source}': row ${records.length + 1} (line ${
          i + 1
        }) is not a JSON object`,
      );
    }
    for (const k of Object.keys(value)) {
      if (!known.has(k)) {
        known.add(k);
        columns.push(k);
      }
    }
    records.push(value as RawRecord);
  }
  return { source, columns, records };
}

/** Reads a `.csv` or `.jsonl`/`.ndjson` file; throws naming the file when it is missing or empty. */
export async function readTable(path: string): Promise<RawTable> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    const reason = cause instanceof Deno.errors.NotFound
      ? "file not found"
      : cause instanceof Deno.errors.IsADirectory
      ? "is a directory"
      : `cannot read file (${(cause as Error).message})`;
    throw new TrainingDataError(`Cannot load training data '${path}': ${reason}`, { cause });
  }
  if (text.trim() === "") {
    throw new TrainingDataError(`Cannot load training data '${path}': file is empty`);
  }
  const lower = path.toLowerCase();
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return parseJsonl(text, path);
  if (lower.endsWith(".csv")) return parseCsv(text, path);
  throw new TrainingDataError(
    `Cannot load training data '${path}': unknown file type (expected .csv, .jsonl or .ndjson)`,
  );
}
