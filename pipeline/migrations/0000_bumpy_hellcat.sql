CREATE TABLE "dead_letters" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"reason" text NOT NULL,
	"payload_base64" text NOT NULL,
	"meta" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "feature_tiles" (
	"view" text NOT NULL,
	"version" integer NOT NULL,
	"entity_id" text NOT NULL,
	"tile_ms" bigint NOT NULL,
	"tile_index" bigint NOT NULL,
	"count" bigint NOT NULL,
	"sum" double precision NOT NULL,
	"max" double precision NOT NULL,
	"categories" jsonb NOT NULL,
	"max_time_ms" bigint NOT NULL,
	CONSTRAINT "feature_tiles_view_version_entity_id_tile_ms_tile_index_pk" PRIMARY KEY("view","version","entity_id","tile_ms","tile_index")
);
--> statement-breakpoint
CREATE TABLE "feature_views" (
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"definition_hash" text NOT NULL,
	"definition" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"backfilled_at" timestamp with time zone,
	CONSTRAINT "feature_views_name_version_pk" PRIMARY KEY("name","version")
);
--> statement-breakpoint
CREATE TABLE "raw_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"entity_id" text NOT NULL,
	"event_time_ms" bigint NOT NULL,
	"amount" double precision NOT NULL,
	"category" text NOT NULL,
	"payload" jsonb NOT NULL,
	"accepted_at_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "dead_letters_created_idx" ON "dead_letters" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "raw_events_entity_time_idx" ON "raw_events" USING btree ("entity_id","event_time_ms");