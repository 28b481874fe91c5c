/**
 * The store logic shared by the Postgres and PGlite adapters (same schema,
 * same dialect); the bulk statements live in `_statements.ts`.
 *
 * @module
 */
import { type SQL, sql } from "drizzle-orm";
import { canonicalDefinition, type FeatureView, type WindowEvent } from "../features/mod.ts";
import { FeatureViewError, translateStoreError } from "../errors.ts";
import type {
  DeadLetterInput,
  DeadLetterRow,
  FeatureStore,
  HistoryQuery,
  StoredEvent,
  TileRecord,
  ViewRegistration,
} from "./port.ts";
import { storedGrains, withRolledUp } from "./_tiles.ts";
import { backfillGrain, insertDeadLetters, writeBatchStatement } from "./_statements.ts";

/** Something that runs a drizzle `sql` query. */
export interface SqlRunner {
  execute(query: SQL): Promise<unknown>;
}

/** A drizzle database: runs queries and transactions. */
export interface SqlDatabase extends SqlRunner {
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
}

type Row = Record<string, unknown>;

/** Rows of a result from either driver (postgres-js: an array; PGlite: `{rows}`). */
export function rowsOf(result: unknown): Row[] {
  if (Array.isArray(result)) return result as Row[];
  return ((result as { rows?: Row[] }).rows ?? []) as Row[];
}

/** sha256 hex of a text. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Default smallest tile size kept in `feature_tiles`: 1 hour. */
export const DEFAULT_MIN_TILE_MS = 3_600_000;

/** The `FeatureStore` over a drizzle database; adapters add connect, migrate and close. */
export abstract class SqlFeatureStore implements FeatureStore {
  protected abstract readonly backend: string;
  /**
   * Smallest tile size kept in `feature_tiles` (see `storedGrains`); 0 keeps
   * every tile size of a view.
   */
  readonly minTileMs: number;
  protected abstract get db(): SqlDatabase;
  abstract migrate(): Promise<void>;
  abstract close(): Promise<void>;

  constructor(minTileMs: number = DEFAULT_MIN_TILE_MS) {
    this.minTileMs = minTileMs;
  }

  /** Runs `fn`, translating transient driver errors into `RetryableError`. */
  protected async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw translateStoreError(`Cannot ${what} in ${this.backend}`, error);
    }
  }

  async registerView(view: FeatureView): Promise<ViewRegistration> {
    const definition = canonicalDefinition(view);
    const hash = await sha256Hex(definition);
    return this.guard("register feature view", async () => {
      const inserted = rowsOf(
        await this.db.execute(sql`
        INSERT INTO feature_views (name, version, definition_hash, definition)
        VALUES (${view.name}, ${view.version}, ${hash}, ${definition}::jsonb)
        ON CONFLICT (name, version) DO NOTHING RETURNING name`),
      );
      if (inserted.length > 0) return "new";
      const [row] = rowsOf(
        await this.db.execute(sql`
        SELECT definition_hash FROM feature_views
        WHERE name = ${view.name} AND version = ${view.version}`),
      );
      if (row?.definition_hash !== hash) {
        throw new FeatureViewError(
          `Cannot register feature view '${view.name}' v${view.version}: its definition changed; ` +
            `give the new definition a new version`,
        );
      }
      return "current";
    });
  }

  async writeBatch(
    events: readonly StoredEvent[],
    deadLetters: readonly DeadLetterInput[],
    views: readonly FeatureView[],
  ): Promise<StoredEvent[]> {
    const noHistory = { entityIds: [], fromMs: 0 };
    return (await this.writeBatchWithHistory(events, deadLetters, views, noHistory)).accepted;
  }

  /**
   * One statement (atomic on its own, one round trip): insert the events,
   * add the ones actually inserted to the tiles (aggregated in SQL, one row
   * per tile, in key order), store the dead letters, return inserted ids and
   * which of the asked entities had history before the batch.
   */
  writeBatchWithHistory(
    events: readonly StoredEvent[],
    deadLetters: readonly DeadLetterInput[],
    views: readonly FeatureView[],
    history: HistoryQuery,
  ): Promise<{ accepted: StoredEvent[]; history: Set<string> }> {
    if (events.length === 0 && deadLetters.length === 0 && history.entityIds.length === 0) {
      return Promise.resolve({ accepted: [], history: new Set() });
    }
    return this.guard("write batch", async () => {
      const rows = rowsOf(
        await this.db.execute(
          writeBatchStatement(events, deadLetters, views, this.minTileMs, history),
        ),
      );
      const known = new Set<string>();
      const fresh = new Set<string>();
      for (const r of rows) {
        if (r.event_id !== null) fresh.add(r.event_id as string);
        else known.add(r.known as string);
      }
      const accepted = fresh.size === events.length
        ? [...events]
        : events.filter((e) => fresh.has(e.eventId));
      return { accepted, history: known };
    });
  }

  writeDeadLetters(rows: readonly DeadLetterInput[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return this.guard("write dead letters", async () => {
      await this.db.execute(insertDeadLetters(rows));
    });
  }

  loadEvents(
    view: FeatureView,
    entityIds: readonly string[],
    fromMs: number,
    toMs: number,
  ): Promise<Map<string, WindowEvent[]>> {
    const out = new Map<string, WindowEvent[]>();
    if (entityIds.length === 0) return Promise.resolve(out);
    return this.guard("load events", async () => {
      const rows = rowsOf(
        await this.db.execute(sql`
        SELECT entity_id, event_time_ms, amount, category FROM raw_events
        WHERE entity_id IN (SELECT json_array_elements_text(${JSON.stringify(entityIds)}::json))
          AND event_time_ms >= ${Math.floor(fromMs)} AND event_time_ms < ${Math.ceil(toMs)}
        ORDER BY entity_id, event_time_ms`),
      );
      for (const r of rows) {
        const id = r.entity_id as string;
        let list = out.get(id);
        if (!list) out.set(id, list = []);
        list.push({
          timeMs: Number(r.event_time_ms),
          amount: Number(r.amount),
          category: (r.category as string) ?? view.missingCategory,
        });
      }
      return out;
    });
  }

  loadPayloads(eventIds: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    const out = new Map<string, Record<string, unknown>>();
    if (eventIds.length === 0) return Promise.resolve(out);
    return this.guard("load payloads", async () => {
      const rows = rowsOf(
        await this.db.execute(sql`
        SELECT event_id, payload FROM raw_events
        WHERE event_id IN (SELECT json_array_elements_text(${JSON.stringify(eventIds)}::json))`),
      );
      for (const r of rows) out.set(r.event_id as string, parseJson(r.payload));
      return out;
    });
  }

  readTiles(view: FeatureView, entityId: string): Promise<TileRecord[]> {
    return this.guard("read tiles", async () => {
      const rows = rowsOf(
        await this.db.execute(sql`
        SELECT entity_id, tile_ms, tile_index, count, sum, max, categories, max_time_ms
        FROM feature_tiles
        WHERE view = ${view.name} AND version = ${view.version} AND entity_id = ${entityId}
        ORDER BY tile_ms, tile_index`),
      );
      return withRolledUp(
        view,
        this.minTileMs,
        rows.map((r) => ({
          entityId: r.entity_id as string,
          tileMs: Number(r.tile_ms),
          tileIndex: Number(r.tile_index),
          count: Number(r.count),
          sum: Number(r.sum),
          max: Number(r.max),
          categories: parseJson(r.categories) as Record<string, number>,
          maxTimeMs: Number(r.max_time_ms),
        })),
      );
    });
  }

  backfill(view: FeatureView): Promise<number> {
    return this.guard("backfill tiles", () =>
      this.db.transaction(async (tx) => {
        await tx.execute(sql`
          DELETE FROM feature_tiles WHERE view = ${view.name} AND version = ${view.version}`);
        let n = 0;
        for (const g of storedGrains(view, this.minTileMs)) {
          const rows = rowsOf(await tx.execute(backfillGrain(view, g.tileMs, g.categories)));
          n += rows.length;
        }
        await tx.execute(sql`
          UPDATE feature_views SET backfilled_at = now()
          WHERE name = ${view.name} AND version = ${view.version}`);
        return n;
      }));
  }

  listEntities(fromMs: number, afterId: string | null, limit: number): Promise<string[]> {
    return this.guard("list entities", async () => {
      const rows = rowsOf(
        await this.db.execute(sql`
        SELECT DISTINCT entity_id FROM raw_events
        WHERE event_time_ms >= ${Math.floor(fromMs)} AND entity_id > ${afterId ?? ""}
        ORDER BY entity_id LIMIT ${limit}`),
      );
      return rows.map((r) => r.entity_id as string);
    });
  }

  listDeadLetters(limit: number): Promise<DeadLetterRow[]> {
    return this.guard("list dead letters", async () => {
      const rows = rowsOf(
        await this.db.execute(sql`
        SELECT id, reason, payload_base64, meta, created_at FROM dead_letters
        ORDER BY id DESC LIMIT ${limit}`),
      );
      return rows.map(deadLetterRow);
    });
  }

  getDeadLetters(ids: readonly number[]): Promise<DeadLetterRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.guard("read dead letters", async () => {
      const list = sql.join(ids.map((id) => sql`${Math.trunc(id)}`), sql`, `);
      const rows = rowsOf(
        await this.db.execute(sql`
        SELECT id, reason, payload_base64, meta, created_at FROM dead_letters
        WHERE id IN (${list}) ORDER BY id`),
      );
      return rows.map(deadLetterRow);
    });
  }

  markDeadLettersReplayed(
    marks: readonly { id: number; eventId: string }[],
    atMs: number,
  ): Promise<void> {
    if (marks.length === 0) return Promise.resolve();
    const at = new Date(atMs).toISOString();
    return this.guard("mark dead letters replayed", async () => {
      await this.db.transaction(async (tx) => {
        for (const m of marks) {
          const patch = JSON.stringify({ replayed_at: at, replayed_event_id: m.eventId });
          await tx.execute(sql`
            UPDATE dead_letters SET meta = meta || ${patch}::jsonb WHERE id = ${Math.trunc(m.id)}`);
        }
      });
    });
  }

  countEvents(): Promise<number> {
    return this.guard("count events", async () => {
      const [row] = rowsOf(await this.db.execute(sql`SELECT count(*) AS n FROM raw_events`));
      return Number(row.n);
    });
  }
}

function deadLetterRow(r: Row): DeadLetterRow {
  return {
    id: Number(r.id),
    reason: r.reason as string,
    payloadBase64: r.payload_base64 as string,
    meta: parseJson(r.meta) as Record<string, string>,
    createdAt: new Date(r.created_at as string),
  };
}

function parseJson(v: unknown): Record<string, unknown> {
  return (typeof v === "string" ? JSON.parse(v) : v) as Record<string, unknown>;
}
