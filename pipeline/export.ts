/**
 * Training-set export: reads a labels file (`timestamp`, `label`, optional
 * `event_id` (or the source's own name for it), and the entity keys: `entity_id` for a repository with one
 * single-key entity type, or the key fields such as `device_id`), computes
 * the point-in-time rows and writes CSV or Parquet (`hyparquet-writer`).
 *
 * @module
 */
import { parquetWriteBuffer } from "hyparquet-writer";
import { parseIsoUtc } from "../schemas/time.ts";
import type { FeatureRepository } from "./definitions/repository.ts";
import type { FeatureStore } from "./store/port.ts";
import {
  type LabelRow,
  type PointInTimeOptions,
  pointInTimeRows,
  type TrainingRecord,
} from "./training_set.ts";
import { FeatureRequestError } from "./errors.ts";

/** The key fields of a repository's entities, and the one `entity_id` stands for (if any). */
function keyFields(repo: FeatureRepository): { fields: string[]; entityId: string | null } {
  const fields = [...new Set(repo.entities.flatMap((e) => e.keys))];
  const single = repo.entities.length === 1 && repo.entities[0].keys.length === 1;
  return { fields, entityId: single ? repo.entities[0].keys[0] : null };
}

/** Parses label records (from CSV or JSONL) into label rows, or throws naming the row. */
export function parseLabels(
  repo: FeatureRepository,
  records: readonly Record<string, unknown>[],
  source: string,
): LabelRow[] {
  const { fields, entityId } = keyFields(repo);
  // An event's id may also go by its source's own name for it (`order_id`).
  const idField = repo.defaultSource.eventId;
  const timeField = repo.defaultSource.timestamp;
  return records.map((r, i) => {
    const where = `Cannot read labels '${source}' row ${i + 1}`;
    const keys: Record<string, string> = {};
    for (const f of fields) {
      const v = r[f];
      if (v !== undefined && v !== null && String(v) !== "") keys[f] = String(v);
    }
    const given = r.entity_id;
    if (given !== undefined && given !== null && String(given) !== "") {
      if (!entityId) {
        throw new FeatureRequestError(
          `${where}: entity_id is ambiguous in repository '${repo.name}': give the key columns ` +
            `(${fields.join(", ")})`,
        );
      }
      keys[entityId] = String(given);
    }
    const ev = r.event_id ?? r[idField];
    const eventId = ev !== undefined && ev !== null && ev !== "" ? String(ev) : undefined;
    if (Object.keys(keys).length === 0 && eventId === undefined) {
      throw new FeatureRequestError(
        `${where}: needs entity keys (${entityId ? "entity_id or " : ""}${fields.join(", ")}) ` +
          `or an event id (event_id${idField === "event_id" ? "" : ` or ${idField}`})`,
      );
    }
    const ts = r.timestamp ?? r.as_of ?? r[timeField];
    const t = typeof ts === "number" ? ts : typeof ts === "string" ? parseIsoUtc(ts) : null;
    if (t === null) {
      throw new FeatureRequestError(`${where}: timestamp ${JSON.stringify(ts)} is not ISO 8601`);
    }
    const raw = r.label;
    const label = raw === true || raw === "True" || raw === "true"
      ? 1
      : raw === false || raw === "False" || raw === "false"
      ? 0
      : Number(raw);
    if (!Number.isFinite(label)) {
      throw new FeatureRequestError(`${where}: label ${JSON.stringify(raw)} is not a number`);
    }
    return { keys, timeMs: t, label, ...(eventId !== undefined ? { eventId } : {}) };
  });
}

/** Reads a labels file: `.csv` (header row) or `.jsonl`. */
export async function readLabelsFile(repo: FeatureRepository, path: string): Promise<LabelRow[]> {
  const text = await Deno.readTextFile(path);
  const records = path.endsWith(".csv") ? parseCsvRecords(text) : text.split("\n")
    .filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
  return parseLabels(repo, records, path);
}

function parseCsvRecords(text: string): Record<string, string>[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = splitCsvLine(lines[0] ?? "");
  return lines.slice(1).map((l) => {
    const cells = splitCsvLine(l);
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""]));
  });
}

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = "", quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cur += '"', i++);
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") (out.push(cur), cur = "");
    else cur += ch;
  }
  out.push(cur);
  return out;
}

function csvCell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * Writes the point-in-time rows of `labels` to `outPath` (`.parquet` or
 * `.csv`) and returns the number of rows.
 */
export async function exportTrainingSet(
  store: FeatureStore,
  repo: FeatureRepository,
  labels: readonly LabelRow[],
  outPath: string,
  options: PointInTimeOptions = {},
): Promise<number> {
  const parquet = outPath.endsWith(".parquet");
  if (!parquet && !outPath.endsWith(".csv")) {
    throw new FeatureRequestError(`Cannot export to '${outPath}': use a .parquet or .csv file`);
  }
  let columns: string[] | null = null;
  const data: Record<string, unknown[]> = {};
  const file = parquet
    ? null
    : await Deno.open(outPath, { write: true, create: true, truncate: true });
  const enc = new TextEncoder();
  let n = 0;
  try {
    for await (const rows of pointInTimeRows(store, repo, labels, options)) {
      if (rows.length === 0) continue;
      if (!columns) {
        columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
        for (const c of columns) data[c] = [];
        if (file) await file.write(enc.encode(columns.join(",") + "\n"));
      }
      if (file) {
        const text = rows.map((r) => columns!.map((c) => csvCell(r[c])).join(",")).join("\n");
        await writeAll(file, enc.encode(text + "\n"));
      } else {
        for (const r of rows) for (const c of columns) data[c].push(r[c]);
      }
      n += rows.length;
    }
  } finally {
    file?.close();
  }
  if (parquet) await Deno.writeFile(outPath, new Uint8Array(toParquet(columns ?? [], data)));
  return n;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
}

function toParquet(columns: string[], data: Record<string, unknown[]>): ArrayBuffer {
  return parquetWriteBuffer({
    // Training sets are read whole: column statistics would cost 40% of the write time.
    statistics: false,
    columnData: columns.map((name) => {
      const values = data[name];
      if (name === "label") return { name, data: values as number[], type: "INT32" };
      if (values.some((v) => typeof v === "string")) {
        return {
          name,
          data: values.map((v) => (v === null || v === undefined ? null : String(v))),
          type: "STRING",
        };
      }
      if (values.some((v) => typeof v === "boolean")) {
        return {
          name,
          data: values.map((v) => (typeof v === "boolean" ? v : null)),
          type: "BOOLEAN",
        };
      }
      return {
        name,
        data: values.map((v) => (typeof v === "number" ? v : null)),
        type: "DOUBLE",
      };
    }),
  });
}

/** Row type written by the export. */
export type { TrainingRecord };
