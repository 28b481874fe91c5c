/**
 * The one Postgres schema of the feature store, shared by real Postgres and
 * PGlite. Times are epoch milliseconds in `bigint` columns so that the
 * window rule (tiles aligned to the Unix epoch) is plain integer math.
 *
 * Migrations are generated from this file with drizzle-kit
 * (`pipeline/drizzle.config.ts`) into `pipeline/migrations/`.
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

/** Every accepted event, once (first accepted `event_id` wins). */
export const rawEvents = pgTable("raw_events", {
  eventId: text("event_id").primaryKey(),
  entityId: text("entity_id").notNull(),
  eventTimeMs: bigint("event_time_ms", { mode: "number" }).notNull(),
  amount: doublePrecision("amount").notNull(),
  category: text("category").notNull(),
  /** The validated event as JSON text, as accepted (text: no jsonb parse per event on write). */
  payload: text("payload").notNull(),
  acceptedAtMs: bigint("accepted_at_ms", { mode: "number" }).notNull(),
}, (t) => [index("raw_events_entity_time_idx").on(t.entityId, t.eventTimeMs)]);

/** Partial aggregates of one entity's events in one tile of one view version. */
export const featureTiles = pgTable("feature_tiles", {
  view: text("view").notNull(),
  version: integer("version").notNull(),
  entityId: text("entity_id").notNull(),
  tileMs: bigint("tile_ms", { mode: "number" }).notNull(),
  tileIndex: bigint("tile_index", { mode: "number" }).notNull(),
  count: bigint("count", { mode: "number" }).notNull(),
  sum: doublePrecision("sum").notNull(),
  max: doublePrecision("max").notNull(),
  /** Category → count (a multiset, so it can be merged and subtracted); `{}` when unused. */
  categories: jsonb("categories").$type<Record<string, number>>().notNull(),
  maxTimeMs: bigint("max_time_ms", { mode: "number" }).notNull(),
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
}, (t) => [primaryKey({ columns: [t.name, t.version] })]);
