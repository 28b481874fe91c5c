/**
 * Kinesis shard leases and checkpoints in Postgres: which worker reads which
 * shard (owner, lease expiry), the last committed sequence number, and
 * whether a closed shard was read to its end (so its children may start).
 * Checkpoint writes are conditional on still owning the lease, so a worker
 * that lost its shard can never move the checkpoint.
 *
 * @module
 */
import type postgres from "postgres";
import { IngestRetryableError, SourceError } from "./errors.ts";

/** The table this module owns. */
export const SHARD_TABLE = "ingest_kinesis_shards";

/** A shard as listed by the stream. */
export interface ShardInfo {
  shardId: string;
  /** Parent and adjacent parent shard ids (after a split or merge). */
  parentIds: string[];
}

/** A lease this worker holds. */
export interface HeldLease {
  shardId: string;
  /** Last committed sequence number, or null to start at TRIM_HORIZON. */
  checkpoint: string | null;
}

/** Where shard leases and checkpoints live. */
export interface ShardLeaseStore {
  /** Creates the table when missing. */
  migrate(): Promise<void>;
  /** Records shards the stream lists (new ones unowned). */
  sync(stream: string, shards: ShardInfo[]): Promise<void>;
  /**
   * Renews this owner's leases, takes free or expired ones, and steals one
   * from an overloaded owner, aiming at an even split. Returns what it holds.
   */
  balance(stream: string, owner: string, leaseMs: number): Promise<HeldLease[]>;
  /** Moves the checkpoint; false when the lease was lost. */
  checkpoint(stream: string, shardId: string, owner: string, sequence: string): Promise<boolean>;
  /** Marks a closed shard as read to its end and frees it. */
  finish(stream: string, shardId: string, owner: string, sequence: string | null): Promise<boolean>;
  /** Gives up all leases of `owner` (graceful shutdown). */
  release(stream: string, owner: string): Promise<void>;
  /** The current checkpoint of a shard (tests, tools). */
  read(
    stream: string,
    shardId: string,
  ): Promise<{ owner: string | null; checkpoint: string | null; finished: boolean } | null>;
}

/** {@linkcode ShardLeaseStore} on Postgres through the `postgres` package. */
export class PostgresShardLeases implements ShardLeaseStore {
  readonly #sql: postgres.Sql;

  constructor(sql: postgres.Sql) {
    this.#sql = sql;
  }

  migrate(): Promise<void> {
    return guard("migrate", () =>
      this.#sql.begin(async (tx) => {
        // Two workers starting together must not race on CREATE TABLE.
        await tx`SELECT pg_advisory_xact_lock(hashtext(${SHARD_TABLE}))`;
        await tx.unsafe(`
          CREATE TABLE IF NOT EXISTS ${SHARD_TABLE} (
            stream text NOT NULL,
            shard_id text NOT NULL,
            parent_shard_ids text[] NOT NULL DEFAULT '{}',
            owner text,
            lease_expires_at timestamptz,
            checkpoint text,
            finished boolean NOT NULL DEFAULT false,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (stream, shard_id)
          )`);
      }).then(() => {}));
  }

  sync(stream: string, shards: ShardInfo[]): Promise<void> {
    if (shards.length === 0) return Promise.resolve();
    const ids = shards.map((s) => s.shardId);
    const parents = shards.map((s) => s.parentIds.join(","));
    return guard("sync", async () => {
      await this.#sql`
        INSERT INTO ingest_kinesis_shards (stream, shard_id, parent_shard_ids)
        SELECT ${stream}, id, CASE WHEN p = '' THEN '{}'::text[] ELSE string_to_array(p, ',') END
        FROM unnest(${ids}::text[], ${parents}::text[]) AS t(id, p)
        ON CONFLICT (stream, shard_id) DO NOTHING`;
    });
  }

  balance(stream: string, owner: string, leaseMs: number): Promise<HeldLease[]> {
    const ms = String(leaseMs);
    return guard("balance", () =>
      this.#sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(hashtext(${SHARD_TABLE + ":" + stream}))`;
        await tx`
          UPDATE ingest_kinesis_shards SET lease_expires_at = now() + (${ms} || ' milliseconds')::interval,
            updated_at = now()
          WHERE stream = ${stream} AND owner = ${owner} AND NOT finished`;
        const [{ ready, workers, mine }] = await tx<
          { ready: number; workers: number; mine: number }[]
        >`
          WITH r AS (${readyShards(tx, stream)})
          SELECT (SELECT count(*)::int FROM r) AS ready,
            (SELECT count(DISTINCT owner)::int FROM r WHERE owner IS NOT NULL
              AND lease_expires_at > now() AND owner <> ${owner}) + 1 AS workers,
            (SELECT count(*)::int FROM r WHERE owner = ${owner}) AS mine`;
        const target = Math.ceil(ready / workers);
        let want = target - mine;
        if (want > 0) {
          const taken = await tx`
            UPDATE ingest_kinesis_shards s SET owner = ${owner}, updated_at = now(),
              lease_expires_at = now() + (${ms} || ' milliseconds')::interval
            WHERE (s.stream, s.shard_id) IN (
              SELECT stream, shard_id FROM (${readyShards(tx, stream)}) r
              WHERE r.owner IS NULL OR r.lease_expires_at <= now()
              ORDER BY r.shard_id LIMIT ${want})
            RETURNING shard_id`;
          want -= taken.length;
        }
        if (want > 0) await this.#stealOne(tx, stream, owner, ms, target);
        const held = await tx<HeldLease[]>`
          SELECT shard_id AS "shardId", checkpoint FROM ingest_kinesis_shards
          WHERE stream = ${stream} AND owner = ${owner} AND NOT finished ORDER BY shard_id`;
        return held.map((h) => ({ shardId: h.shardId, checkpoint: h.checkpoint }));
      }));
  }

  /** Takes one shard from the busiest live owner holding more than `target`. */
  async #stealOne(
    tx: postgres.TransactionSql,
    stream: string,
    owner: string,
    ms: string,
    target: number,
  ) {
    await tx`
      UPDATE ingest_kinesis_shards s SET owner = ${owner}, updated_at = now(),
        lease_expires_at = now() + (${ms} || ' milliseconds')::interval
      WHERE (s.stream, s.shard_id) = (
        SELECT r.stream, r.shard_id FROM (${readyShards(tx, stream)}) r
        JOIN (SELECT owner, count(*) AS n FROM ingest_kinesis_shards
              WHERE stream = ${stream} AND NOT finished AND lease_expires_at > now()
              GROUP BY owner) o ON o.owner = r.owner
        WHERE r.owner <> ${owner} AND o.n > ${target}
        ORDER BY o.n DESC, r.shard_id DESC LIMIT 1)`;
  }

  checkpoint(stream: string, shardId: string, owner: string, sequence: string): Promise<boolean> {
    return guard("checkpoint", async () => {
      const r = await this.#sql`
        UPDATE ingest_kinesis_shards SET checkpoint = ${sequence}, updated_at = now()
        WHERE stream = ${stream} AND shard_id = ${shardId} AND owner = ${owner}`;
      return r.count === 1;
    });
  }

  finish(
    stream: string,
    shardId: string,
    owner: string,
    sequence: string | null,
  ): Promise<boolean> {
    return guard("finish", async () => {
      const r = await this.#sql`
        UPDATE ingest_kinesis_shards SET finished = true, owner = NULL, lease_expires_at = NULL,
          checkpoint = COALESCE(${sequence}, checkpoint), updated_at = now()
        WHERE stream = ${stream} AND shard_id = ${shardId} AND owner = ${owner}`;
      return r.count === 1;
    });
  }

  release(stream: string, owner: string): Promise<void> {
    return guard("release", async () => {
      await this.#sql`
        UPDATE ingest_kinesis_shards SET owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE stream = ${stream} AND owner = ${owner}`;
    });
  }

  read(stream: string, shardId: string) {
    return guard("read", async () => {
      const rows = await this.#sql<
        { owner: string | null; checkpoint: string | null; finished: boolean }[]
      >`
        SELECT owner, checkpoint, finished FROM ingest_kinesis_shards
        WHERE stream = ${stream} AND shard_id = ${shardId}`;
      return rows[0] ?? null;
    });
  }
}

/** Unfinished shards whose parents are all finished (or gone from the stream). */
function readyShards(tx: postgres.TransactionSql, stream: string) {
  return tx`
    SELECT s.* FROM ingest_kinesis_shards s
    WHERE s.stream = ${stream} AND NOT s.finished AND NOT EXISTS (
      SELECT 1 FROM ingest_kinesis_shards p
      WHERE p.stream = s.stream AND p.shard_id = ANY (s.parent_shard_ids) AND NOT p.finished)`;
}

async function guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const sqlState = (error as { severity?: string; code?: string })?.severity
      ? String((error as { code?: string }).code)
      : undefined;
    // A SQL error (not a lost connection, shutdown or serialization failure) will not heal by retrying.
    if (sqlState !== undefined && !/^(08|40|53|57)/.test(sqlState)) {
      throw new SourceError(`Cannot ${what} Kinesis shard leases: ${message}`, { cause: error });
    }
    throw new IngestRetryableError(`Cannot ${what} Kinesis shard leases: ${message}`, {
      cause: error,
    });
  }
}
