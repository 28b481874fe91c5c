/**
 * The feature store on PGlite (Postgres compiled to WASM, in process): the
 * embedded default, file-backed under a data folder or in memory.
 *
 * @module
 */
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { type SqlDatabase, SqlFeatureStore } from "./_sql_store.ts";
import { MIGRATIONS_FOLDER } from "./_migrations.ts";
import { lockDataDir } from "./_lock.ts";

/** `FeatureStore` on PGlite. Call `migrate()` once at start. */
export class PgliteFeatureStore extends SqlFeatureStore {
  protected readonly backend = "PGlite";
  readonly #client: PGlite;
  readonly #db: SqlDatabase;
  readonly #unlock: () => void;

  /**
   * @param dataDir folder of the database files; omitted → in memory. A
   * folder is locked for this process (`<dataDir>.lock`) until `close()`;
   * throws `FeatureStoreLockedError` when another live process holds it.
   * @param options.minTileMs smallest tile size kept in `feature_tiles`
   * (default 1 h; 0 keeps all).
   */
  constructor(dataDir?: string, options: { minTileMs?: number } = {}) {
    super(options.minTileMs);
    this.#unlock = dataDir ? lockDataDir(dataDir) : () => {};
    this.#client = new PGlite(dataDir);
    this.#db = drizzle(this.#client) as unknown as SqlDatabase;
  }

  protected get db(): SqlDatabase {
    return this.#db;
  }

  migrate(): Promise<void> {
    return this.guard("apply migrations", async () => {
      await this.#client.waitReady;
      await migrate(drizzle(this.#client), { migrationsFolder: MIGRATIONS_FOLDER });
    });
  }

  async close(): Promise<void> {
    try {
      if (!this.#client.closed) await this.#client.close();
    } finally {
      this.#unlock();
    }
  }
}
