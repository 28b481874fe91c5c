/**
 * Kinesis source: lists the shards, balances shard leases with the other
 * workers through a {@linkcode ShardLeaseStore} (Postgres), runs one fetch
 * loop per leased shard and merges their batches into leases for the worker.
 *
 * @module
 */
import { type KinesisClient, ListShardsCommand, type Shard } from "@aws-sdk/client-kinesis";
import { BatchQueue } from "./_batch_queue.ts";
import { type ShardBatch, ShardReader } from "./_kinesis_shard.ts";
import { IngestRetryableError, SourceError } from "./errors.ts";
import type { ShardInfo, ShardLeaseStore } from "./kinesis_leases.ts";
import type { IngestMetrics } from "./ingest_metrics.ts";
import type { Lease, MessageSource } from "./port.ts";

/** Options of {@linkcode KinesisSource}. */
export interface KinesisSourceOptions {
  client: KinesisClient;
  leases: ShardLeaseStore;
  stream: string;
  /**
   * Consumer application: workers of one application share the stream's
   * shards; another application keeps leases and checkpoints of its own and
   * reads every record again. Default "" (leases keyed by the stream alone).
   */
  application?: string;
  /** This worker's id in the lease table; unique per process. */
  owner: string;
  /** Lease duration; renewed every third of it. Default 10 s. */
  leaseMs?: number;
  /** Wait after an empty GetRecords. Default 200 ms. */
  pollMs?: number;
  /** Records per GetRecords and most messages per lease. Default 5000. */
  maxBatch?: number;
  metrics?: IngestMetrics;
  logger?: (msg: string, fields?: object) => void;
}

/** A `MessageSource` reading a Kinesis stream with shard leases shared by workers. */
export class KinesisSource implements MessageSource {
  readonly kind = "kinesis";
  readonly #o: Required<Omit<KinesisSourceOptions, "metrics">> & { metrics?: IngestMetrics };
  readonly #readers = new Map<string, ShardReader>();
  readonly #queue = new BatchQueue();
  #timer?: ReturnType<typeof setInterval>;
  #balancing?: Promise<void>;
  #lastBalanceError?: unknown;
  #started = false;
  #closed = false;
  #ticks = 0;

  constructor(options: KinesisSourceOptions) {
    this.#o = {
      ...options,
      application: options.application ?? "",
      leaseMs: options.leaseMs ?? 10_000,
      pollMs: options.pollMs ?? 200,
      maxBatch: options.maxBatch ?? 5000,
      logger: options.logger ?? (() => {}),
    };
  }

  /** The key of this application's leases of the stream in the lease table. */
  get leaseKey(): string {
    return kinesisLeaseKey(this.#o.application, this.#o.stream);
  }

  /** Shards this worker reads now. */
  get ownedShards(): string[] {
    return [...this.#readers.keys()].sort();
  }

  async start(): Promise<void> {
    if (this.#started) return;
    await this.#o.leases.migrate();
    await this.#syncShards();
    await this.#balance();
    this.#started = true;
    this.#timer = setInterval(() => this.#tick(), Math.max(100, Math.floor(this.#o.leaseMs / 3)));
  }

  isReady(): boolean {
    return this.#started && !this.#closed && this.#lastBalanceError === undefined;
  }

  async pull(signal: AbortSignal): Promise<Lease | null> {
    while (this.#queue.size === 0) {
      if (this.#closed || signal.aborted) return null;
      if (this.#lastBalanceError) {
        const e = this.#lastBalanceError;
        this.#lastBalanceError = undefined;
        throw e;
      }
      await this.#queue.wait(signal);
    }
    if (this.#closed || signal.aborted) return null;
    return this.#queue.take(this.#o.maxBatch);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#balancing?.catch(() => {});
    await this.#queue.nackAll(undefined, true);
    await Promise.all([...this.#readers.keys()].map((id) => this.#stopReader(id)));
    await this.#o.leases.release(this.leaseKey, this.#o.owner).catch(() => {});
    this.#o.metrics?.kinesisLeases.set({ stream: this.#o.stream }, 0);
  }

  #tick(): void {
    if (this.#balancing || this.#closed) return;
    this.#ticks++;
    // Relist shards now and then to see resharding (children of split or merged shards).
    const relist = this.#ticks % 6 === 0 ? this.#syncShards() : Promise.resolve();
    this.#balancing = relist.then(() => this.#balance())
      .then(() => this.#lastBalanceError = undefined)
      .catch((error) => {
        this.#lastBalanceError = error;
        this.#o.logger(`Cannot balance Kinesis leases: ${(error as Error).message}`);
        this.#queue.wake();
      })
      .finally(() => this.#balancing = undefined);
  }

  async #balance(): Promise<void> {
    const held = await this.#o.leases.balance(this.leaseKey, this.#o.owner, this.#o.leaseMs);
    if (this.#closed) return;
    const keep = new Set(held.map((h) => h.shardId));
    for (const id of [...this.#readers.keys()]) {
      if (!keep.has(id)) {
        this.#o.logger(`Lost lease of shard ${id}`);
        void this.#stopReader(id);
      }
    }
    for (const h of held) {
      const current = this.#readers.get(h.shardId);
      if (current) continue;
      this.#o.logger(`Took lease of shard ${h.shardId}`, { checkpoint: h.checkpoint });
      const reader = new ShardReader(this.#readerDeps(h.shardId), h.shardId, h.checkpoint);
      this.#readers.set(h.shardId, reader);
      // A finished shard drops its lease: forget the reader so balance can pick its children.
      reader.done.then(() => {
        if (this.#readers.get(h.shardId) === reader) this.#readers.delete(h.shardId);
      });
    }
    this.#o.metrics?.kinesisLeases.set({ stream: this.#o.stream }, this.#readers.size);
  }

  #readerDeps(shardId: string) {
    return {
      client: this.#o.client,
      leases: this.#o.leases,
      stream: this.#o.stream,
      leaseKey: this.leaseKey,
      owner: this.#o.owner,
      maxRecords: Math.min(10_000, this.#o.maxBatch),
      pollMs: this.#o.pollMs,
      metrics: this.#o.metrics,
      offer: (batch: ShardBatch) => this.#queue.push({ ...batch, key: shardId }),
      log: this.#o.logger,
    };
  }

  async #stopReader(shardId: string): Promise<void> {
    const reader = this.#readers.get(shardId);
    if (!reader) return;
    this.#readers.delete(shardId);
    const stopping = reader.stop();
    // Batches of this shard nobody leased yet go back to the shard's checkpoint.
    await this.#queue.nackAll(shardId);
    await stopping;
  }

  async #syncShards(): Promise<void> {
    const shards: ShardInfo[] = [];
    let token: string | undefined;
    try {
      do {
        const out = await this.#o.client.send(
          new ListShardsCommand(token ? { NextToken: token } : { StreamName: this.#o.stream }),
        );
        for (const s of out.Shards ?? []) shards.push(toInfo(s));
        token = out.NextToken;
      } while (token);
    } catch (error) {
      const name = (error as Error)?.name;
      const message = `Cannot list shards of Kinesis stream '${this.#o.stream}': ${
        (error as Error)?.message
      }`;
      if (name === "ResourceNotFoundException") throw new SourceError(message, { cause: error });
      throw new IngestRetryableError(message, { cause: error });
    }
    await this.#o.leases.sync(this.leaseKey, shards);
  }
}

function toInfo(s: Shard): ShardInfo {
  const parents = [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => !!p);
  return { shardId: s.ShardId!, parentIds: parents };
}

/** Lease-table key of an application's leases of a stream: `<application>/<stream>`, or the stream alone. */
export function kinesisLeaseKey(application: string, stream: string): string {
  return application === "" ? stream : `${application}/${stream}`;
}
