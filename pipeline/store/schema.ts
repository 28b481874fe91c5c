/**
 * The one Postgres schema of the feature store, shared by real Postgres and
 * PGlite. Times are epoch milliseconds in `bigint` columns so that the
 * window rule (tiles aligned to the Unix epoch) is plain integer math.
 *
 * Migrations are generated from this file by `deno task db:generate`
 * (drizzle-kit, `pipeline/drizzle.config.ts`) into `pipeline/migrations/`.
 *
 * @module
 */
import {
  bigint,
  bigserial,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/** Every accepted event of every source, once per source (first accepted event id wins), as sent. */
export const events = pgTable("events", {
  source: text("source").notNull(),
  eventId: text("event_id").notNull(),
  eventTimeMs: bigint("event_time_ms", { mode: "number" }).notNull(),
  /** The validated event as JSON text, as accepted (text: no jsonb parse per event on write). */
  payload: text("payload").notNull(),
  acceptedAtMs: bigint("accepted_at_ms", { mode: "number" }).notNull(),
}, (t) => [primaryKey({ name: "events_pk", columns: [t.source, t.eventId] })]);

/**
 * Which entities an event belongs to (one row per entity type a view of its
 * source aggregates): how an entity's events are found, by time. No key:
 * rows are written only with their (new) event, so they are unique, and
 * the index stays narrow (it is written on every ingest).
 */
export const eventEntities = pgTable("event_entities", {
  source: text("source").notNull(),
  entity: text("entity").notNull(),
  entityId: text("entity_id").notNull(),
  eventTimeMs: bigint("event_time_ms", { mode: "number" }).notNull(),
  eventId: text("event_id").notNull(),
}, (t) => [index("event_entities_entity_time_idx").on(t.entityId, t.eventTimeMs)]);

/**
 * The partial aggregates (slots, see `pipeline/features/plan.ts`) of one
 * entity's events in one tile of one view version: numeric slots in
 * `state`, multisets (for `distinct`) in `sets`.
 */
export const featureTiles = pgTable("feature_tiles", {
  view: text("view").notNull(),
  version: integer("version").notNull(),
  entityId: text("entity_id").notNull(),
  tileMs: bigint("tile_ms", { mode: "number" }).notNull(),
  tileIndex: bigint("tile_index", { mode: "number" }).notNull(),
  /** Numeric slots in the view's full layout; null for an empty min, max or time. */
  state: doublePrecision("state").array().notNull(),
  /** One key → count object per multiset slot; `[]` when the view has none. */
  sets: jsonb("sets").$type<Record<string, number>[]>().notNull(),
}, (t) => [
  // Entity first: one text comparison usually decides, which makes batch upserts cheaper.
  primaryKey({
    name: "feature_tiles_pk",
    columns: [t.entityId, t.tileMs, t.tileIndex, t.view, t.version],
  }),
]);

/** Messages that could not be accepted, with why and the raw bytes. */
export const deadLetters = pgTable("dead_letters", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  /** The source it was sent to, when known. */
  source: text("source"),
  reason: text("reason").notNull(),
  /** The raw payload, base64. */
  payloadBase64: text("payload_base64").notNull(),
  meta: jsonb("meta").$type<Record<string, string>>().notNull(),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
}, (t) => [index("dead_letters_created_idx").on(t.createdAt)]);

/** Known feature view versions and the hash of their definition. */
export const featureViews = pgTable("feature_views", {
  name: text("name").notNull(),
  version: integer("version").notNull(),
  definitionHash: text("definition_hash").notNull(),
  definition: jsonb("definition").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  /** When tiles were last rebuilt from raw events; null until backfilled. */
  backfilledAt: timestamp("backfilled_at", { withTimezone: true, mode: "date" }),
  /**
   * When the repository stopped defining this version (`features:apply`);
   * its tiles stay readable while a model references it. Null while current.
   */
  retiredAt: timestamp("retired_at", { withTimezone: true, mode: "date" }),
}, (t) => [primaryKey({ columns: [t.name, t.version] })]);

/** The source definitions applied, to tell what a repository change does to them. */
export const sources = pgTable("sources", {
  name: text("name").primaryKey(),
  definitionHash: text("definition_hash").notNull(),
  definition: jsonb("definition").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});
