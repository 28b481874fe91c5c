/**
 * The `FeatureStore` port: durable truth of the pipeline. Raw events per
 * source (as sent), which entities each event belongs to, tile partial
 * aggregates per (view, version, entity, tile), dead letters, and the
 * applied view and source definitions.
 *
 * @module
 */
import type { SourceDefinition } from "../../schemas/definitions.ts";
import type { FeatureView, WindowEvent } from "../features/mod.ts";

/** What one view reads from an accepted event. */
export interface ViewContribution {
  view: FeatureView;
  /** The entity of the view the event belongs to. */
  entityId: string;
  /** The event's time and input values for the view. */
  event: WindowEvent;
}

/** An accepted event as stored. */
export interface StoredEvent {
  /** The source it came from. */
  source: string;
  eventId: string;
  /** Event time, epoch ms. */
  timeMs: number;
  /** The validated event JSON. */
  payload: Record<string, unknown>;
  /**
   * `payload` as one line of JSON text, when the caller already has it (the
   * text it was parsed from); stores then keep it instead of serialising again.
   */
  payloadJson?: string;
  /** When the pipeline accepted it, epoch ms. */
  acceptedAtMs: number;
  /** The entities it belongs to, one per entity type a view of its source aggregates. */
  entities: readonly { entity: string; id: string }[];
  /** What each view of its source reads from it (none when every view's filter rejects it). */
  views: readonly ViewContribution[];
}

/** A dead letter to store. */
export interface DeadLetterInput {
  reason: string;
  /** The raw payload, base64. */
  payloadBase64: string;
  meta: Record<string, string>;
  /** The source it was sent to, when known. */
  source?: string;
}

/** A stored dead letter. */
export interface DeadLetterRow extends DeadLetterInput {
  id: number;
  createdAt: Date;
}

/**
 * One stored tile: the view's numeric slots (full layout, see
 * `planOf(view).full`) and its multisets.
 */
export interface TileRecord {
  entityId: string;
  tileMs: number;
  tileIndex: number;
  state: (number | null)[];
  sets: Record<string, number>[];
}

/** One entity to check for stored history. */
export interface HistoryKey {
  source: string;
  entity: string;
  id: string;
}

/** Entities to check for stored events at or after `fromMs`. */
export interface HistoryQuery {
  keys: readonly HistoryKey[];
  fromMs: number;
}

/** The text key of a {@linkcode HistoryKey} in `writeBatchWithHistory`'s answer. */
export function historyKey(k: HistoryKey): string {
  return `${k.source}\u0000${k.entity}\u0000${k.id}`;
}

/** How a view's definition compares to the stored one. */
export type ViewRegistration = "new" | "current";

/** A registered view version. */
export interface RegisteredView {
  name: string;
  version: number;
  definitionHash: string;
  /** The canonical definition JSON (view and entity). */
  definition: unknown;
  backfilledAt: Date | null;
  /** When the repository stopped defining it; null while current. */
  retiredAt: Date | null;
}

/** An applied source definition. */
export interface RegisteredSource {
  name: string;
  definitionHash: string;
  definition: SourceDefinition;
}

/** Durable storage of the pipeline. Every adapter passes `tests/contracts/feature_store_*`. */
export interface FeatureStore {
  /**
   * Smallest tile size kept in the tiles table: writes and `backfill` skip
   * finer tile sizes of a view (0 keeps all).
   */
  readonly minTileMs: number;
  /** Applies the committed migrations (idempotent). */
  migrate(): Promise<void>;
  /**
   * Records a view version and its definition hash: `new` when first seen
   * (tiles must be backfilled), `current` when known with the same hash (a
   * retired version becomes current again). Throws `FeatureViewError` when
   * the version exists with another hash.
   */
  registerView(view: FeatureView): Promise<ViewRegistration>;
  /** Every registered view version, by name and version. */
  listViews(): Promise<RegisteredView[]>;
  /** Marks a view version as no longer defined by the repository (its tiles stay). */
  retireView(name: string, version: number): Promise<void>;
  /** Deletes a view version's registration and tiles (destructive). */
  dropView(name: string, version: number): Promise<void>;
  /** Records a source definition (`new`, `current`, or `changed` and updated). */
  registerSource(source: SourceDefinition): Promise<"new" | "current" | "changed">;
  /** Every applied source definition. */
  listSources(): Promise<RegisteredSource[]>;
  /**
   * In one transaction: inserts `events` (their (source, event id) pairs
   * must be distinct), skipping ones already stored; indexes the accepted
   * ones by entity; adds them to the tiles of their views; stores
   * `deadLetters`. Returns the accepted events.
   */
  writeBatch(
    events: readonly StoredEvent[],
    deadLetters: readonly DeadLetterInput[],
  ): Promise<StoredEvent[]>;
  /**
   * `writeBatch`, and in the same transaction, before the batch's events
   * are visible: which of `history.keys` already had a stored event at or
   * after `history.fromMs` (as {@linkcode historyKey} texts). The pipeline
   * asks it for the entities absent online, to know whether to rebuild them.
   */
  writeBatchWithHistory(
    events: readonly StoredEvent[],
    deadLetters: readonly DeadLetterInput[],
    history: HistoryQuery,
  ): Promise<{ accepted: StoredEvent[]; history: Set<string> }>;
  /** Stores dead letters on their own. */
  writeDeadLetters(rows: readonly DeadLetterInput[]): Promise<void>;
  /**
   * The window inputs for `view` of the events of `entityIds` with
   * `fromMs <= time < toMs`, ascending by time, per entity (entities without
   * one are absent; events the view's filter rejects are left out).
   * `fromMs` may be one bound per entity (`fromMs[i]` for `entityIds[i]`).
   */
  loadEvents(
    view: FeatureView,
    entityIds: readonly string[],
    fromMs: number | readonly number[],
    toMs: number,
  ): Promise<Map<string, WindowEvent[]>>;
  /** The stored payloads of these event ids of a source (unknown ids are absent). */
  loadPayloads(
    source: string,
    eventIds: readonly string[],
  ): Promise<Map<string, Record<string, unknown>>>;
  /**
   * The tiles of one entity for a view version, of every size the store keeps
   * (stored, or rolled up on read from a finer stored size), ordered by tile
   * size and index.
   */
  readTiles(view: FeatureView, entityId: string): Promise<TileRecord[]>;
  /** Rebuilds every stored tile of `view` from raw events; returns the number of rows. */
  backfill(view: FeatureView): Promise<number>;
  /** Distinct ids of an entity type with events of `source` at or after `fromMs`, in pages. */
  listEntities(
    source: string,
    entity: string,
    fromMs: number,
    afterId: string | null,
    limit: number,
  ): Promise<string[]>;
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
  /** Number of stored events (of one source, or of all). */
  countEvents(source?: string): Promise<number>;
  /** Releases connections. */
  close(): Promise<void>;
}
