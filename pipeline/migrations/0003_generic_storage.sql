CREATE TABLE "event_entities" (
	"source" text NOT NULL,
	"entity" text NOT NULL,
	"entity_id" text NOT NULL,
	"event_time_ms" bigint NOT NULL,
	"event_id" text NOT NULL
);
--> statement-breakpoint
-- Narrow on purpose: a row per event and entity is written on every ingest, and a
-- (source, entity, id, time, event id) key cost 30 µs per event in PGlite against
-- 2 µs for this one (tests/bench/features.ts). Rows are unique by construction: only
-- events inserted by the same statement get them. Source and entity filter the heap.
CREATE INDEX "event_entities_entity_time_idx" ON "event_entities" USING btree ("entity_id","event_time_ms");--> statement-breakpoint
CREATE TABLE "events" (
	"source" text NOT NULL,
	"event_id" text NOT NULL,
	"event_time_ms" bigint NOT NULL,
	"payload" text NOT NULL,
	"accepted_at_ms" bigint NOT NULL,
	CONSTRAINT "events_pk" PRIMARY KEY("source","event_id")
);
--> statement-breakpoint
CREATE TABLE "sources" (
	"name" text PRIMARY KEY NOT NULL,
	"definition_hash" text NOT NULL,
	"definition" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- Keep the events stored before feature repositories: they were the fraud example's transactions.
INSERT INTO "events" ("source", "event_id", "event_time_ms", "payload", "accepted_at_ms")
SELECT 'transactions', "event_id", "event_time_ms", "payload", "accepted_at_ms" FROM "raw_events";--> statement-breakpoint
INSERT INTO "event_entities" ("source", "entity", "entity_id", "event_time_ms", "event_id")
SELECT 'transactions', 'user', "entity_id", "event_time_ms", "event_id" FROM "raw_events";--> statement-breakpoint
DROP TABLE "raw_events" CASCADE;--> statement-breakpoint
-- Tiles and view registrations are derived: views are registered and backfilled again at start.
DELETE FROM "feature_tiles";--> statement-breakpoint
DELETE FROM "feature_views";--> statement-breakpoint
ALTER TABLE "dead_letters" ADD COLUMN "source" text;--> statement-breakpoint
ALTER TABLE "feature_tiles" ADD COLUMN "state" double precision[] NOT NULL;--> statement-breakpoint
ALTER TABLE "feature_tiles" ADD COLUMN "sets" jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "feature_views" ADD COLUMN "retired_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "feature_tiles" DROP COLUMN "count";--> statement-breakpoint
ALTER TABLE "feature_tiles" DROP COLUMN "sum";--> statement-breakpoint
ALTER TABLE "feature_tiles" DROP COLUMN "max";--> statement-breakpoint
ALTER TABLE "feature_tiles" DROP COLUMN "categories";--> statement-breakpoint
ALTER TABLE "feature_tiles" DROP COLUMN "max_time_ms";