/**
 * The `FeatureStore` port: durable truth of the pipeline (raw events, tile
 * partial aggregates, dead letters, feature view versions).
 *
 * @module
 */
import type { FeatureView, WindowEvent } from "../features/mod.ts";

/** An accepted event as stored. */
export interface StoredEvent {
  eventId: string;
  entityId: string;
  /** Event time, epoch ms. */
  timeMs: number;
  amount: number;
  category: string;
  /** The validated event JSON. */
  payload: Record<string, unknown>;
  /**
   * `payload` as one line of JSON text, when the caller already has it (the
   * text it was parsed from); stores then keep it instead of serialising again.
   */
  payloadJson?: string;
  /** When the pipeline accepted it, epoch ms. */
  acceptedAtMs: number;
}

/** A dead letter to store. */
export interface DeadLetterInput {
  reason: string;
  /** The raw payload, base64. */
  payloadBase64: string;
  meta: Record<string, string>;
}

/** A stored dead letter. */
export interface DeadLetterRow extends DeadLetterInput {
  id: number;
  createdAt: Date;
}

/** One stored tile (partial aggregate). */
export interface TileRecord {
  entityId: string;
  tileMs: number;
  tileIndex: number;
  count: number;
  sum: number;
  max: number;
  categories: Record<string, number>;
  maxTimeMs: number;
}

/** Entities to check for stored events at or after `fromMs`. */
export interface HistoryQuery {
  entityIds: readonly string[];
  fromMs: number;
}

/** How a view's definition compares to the stored one. */
export type ViewRegistration = "new" | "current";

/** Durable storage of the pipeline. Every adapter passes `tests/contracts/feature_store_*`. */
export interface FeatureStore {
  /**
   * Smallest tile size kept in the tiles table: `writeBatch` and `backfill`
   * skip finer tile sizes of a view (0 keeps all).
   */
  readonly minTileMs: number;
  /** Applies the committed migrations (idempotent). */
  migrate(): Promise<void>;
  /**
   * Records a view version and its definition hash: `new` when first seen
   * (tiles must be backfilled), `current` when known with the same hash.
   * Throws `FeatureViewError` when the version exists with another hash.
   */
  registerView(view: FeatureView): Promise<ViewRegistration>;
  /**
   * In ONE transaction: inserts `events` (their ids must be distinct), skipping
   * ids already stored; adds the accepted ones to the tiles of `views` with
   * multi-row upserts; stores `deadLetters`. Returns the accepted events.
   */
  writeBatch(
    events: readonly StoredEvent[],
    deadLetters: readonly DeadLetterInput[],
    views: readonly FeatureView[],
  ): Promise<StoredEvent[]>;
  /**
   * `writeBatch`, and in the same statement, so before the batch's events
   * are visible: which of `history.entityIds` already had a stored event at
   * or after `history.fromMs` (the pipeline asks it for the entities absent
   * online, to know whether to rebuild them from the store).
   */
  writeBatchWithHistory(
    events: readonly StoredEvent[],
    deadLetters: readonly DeadLetterInput[],
    views: readonly FeatureView[],
    history: HistoryQuery,
  ): Promise<{ accepted: StoredEvent[]; history: Set<string> }>;
  /** Stores dead letters on their own. */
  writeDeadLetters(rows: readonly DeadLetterInput[]): Promise<void>;
  /**
   * The window inputs of the events of `entityIds` with `fromMs <= time <
   * toMs`, ascending by time, per entity (entities without one are absent).
   */
  loadEvents(
    view: FeatureView,
    entityIds: readonly string[],
    fromMs: number,
    toMs: number,
  ): Promise<Map<string, WindowEvent[]>>;
  /** The stored payloads of these event ids (unknown ids are absent). */
  loadPayloads(eventIds: readonly string[]): Promise<Map<string, Record<string, unknown>>>;
  /**
   * The tiles of one entity for a view version, of every size the store keeps
   * (stored, or rolled up on read from a finer stored size), ordered by tile
   * size and index.
   */
  readTiles(view: FeatureView, entityId: string): Promise<TileRecord[]>;
  /** Rebuilds every stored tile of `view` from raw events; returns the number of rows. */
  backfill(view: FeatureView): Promise<number>;
  /** Distinct entity ids with events at or after `fromMs`, in pages. */
  listEntities(fromMs: number, afterId: string | null, limit: number): Promise<string[]>;
  /** Most recent dead letters first. */
  listDeadLetters(limit: number): Promise<DeadLetterRow[]>;
  /** The dead letters with these ids (unknown ids are absent), by id. */
  getDeadLetters(ids: readonly number[]): Promise<DeadLetterRow[]>;
  /**
   * Records that dead letters were fixed and replayed: their `meta` gains
   * `replayed_at` (ISO time) and `replayed_event_id`. The row and its
   * original payload stay.
   */
  markDeadLettersReplayed(
    marks: readonly { id: number; eventId: string }[],
    atMs: number,
  ): Promise<void>;
  /** Number of stored events. */
  countEvents(): Promise<number>;
  /** Releases connections. */
  close(): Promise<void>;
}
