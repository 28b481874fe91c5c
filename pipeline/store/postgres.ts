/**
 * The feature store on a real Postgres (15+) through drizzle-orm over the
 * `postgres` driver.
 *
 * @module
 */
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { type SqlDatabase, SqlFeatureStore } from "./_sql_store.ts";
import { MIGRATIONS_FOLDER } from "./_migrations.ts";

/** Options of {@linkcode PostgresFeatureStore}. */
export interface PostgresFeatureStoreOptions {
  /** Connection pool size. Default 4. */
  maxConnections?: number;
  /** Seconds to wait for a connection before failing. Default 5. */
  connectTimeoutSeconds?: number;
  /** Smallest tile size kept in `feature_tiles`. Default 1 h; 0 keeps all. */
  minTileMs?: number;
}

/** `FeatureStore` on Postgres. Connects lazily; call `migrate()` once at start. */
export class PostgresFeatureStore extends SqlFeatureStore {
  protected readonly backend = "Postgres";
  readonly #url: string;
  readonly #client: postgres.Sql;
  readonly #db: SqlDatabase;
  readonly #connectTimeout: number;

  constructor(url: string, options: PostgresFeatureStoreOptions = {}) {
    super(options.minTileMs);
    this.#url = url;
    this.#connectTimeout = options.connectTimeoutSeconds ?? 5;
    this.#client = postgres(url, {
      max: options.maxConnections ?? 4,
      connect_timeout: this.#connectTimeout,
      onnotice: () => {},
      // Batch aggregates (thousands of tiles) fit in memory instead of spilling to disk.
      connection: { work_mem: "32MB" },
    });
    this.#db = drizzle(this.#client) as unknown as SqlDatabase;
  }

  protected get db(): SqlDatabase {
    return this.#db;
  }

  /** Applies migrations under an advisory lock, so concurrent starters do not race. */
  migrate(): Promise<void> {
    return this.guard("apply migrations", async () => {
      const one = postgres(this.#url, {
        max: 1,
        connect_timeout: this.#connectTimeout,
        onnotice: () => {},
      });
      try {
        await one`SELECT pg_advisory_lock(7243918)`;
        await migrate(drizzle(one), { migrationsFolder: MIGRATIONS_FOLDER });
        await one`SELECT pg_advisory_unlock(7243918)`;
      } finally {
        await one.end({ timeout: 1 });
      }
    });
  }

  async close(): Promise<void> {
    await this.#client.end({ timeout: 2 });
  }
}
