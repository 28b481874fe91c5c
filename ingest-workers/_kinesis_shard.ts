/**
 * The fetch loop of one leased Kinesis shard: iterator from the checkpoint
 * (`AFTER_SEQUENCE_NUMBER`) or `TRIM_HORIZON`, `GetRecords` until the shard
 * closes, one batch in flight at a time, checkpoint after each ack, backoff
 * on throttling, fresh iterator when one expires.
 *
 * @module
 */
import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
} from "@aws-sdk/client-kinesis";
import { Backoff, sleep } from "./_delivery.ts";
import type { Settlement } from "./_batch_queue.ts";
import {
  checkpointOf,
  type KinesisCheckpoint,
  parseCheckpoint,
  toShardMessages,
} from "./_kinesis_records.ts";
import type { ShardLeaseStore } from "./kinesis_leases.ts";
import type { IngestMetrics } from "./ingest_metrics.ts";
import type { SourceMessage } from "./port.ts";

/** A fetched batch waiting for the worker; settle resolves once checkpointed. */
export interface ShardBatch {
  messages: SourceMessage[];
  settle(outcome: Settlement): Promise<void>;
}

/** What a shard reader needs. */
export interface ShardReaderDeps {
  client: KinesisClient;
  leases: ShardLeaseStore;
  stream: string;
  /** Key of the leases in the lease table (see `kinesisLeaseKey`). */
  leaseKey: string;
  owner: string;
  maxRecords: number;
  pollMs: number;
  metrics?: IngestMetrics;
  /** Hands a batch to the source's queue. */
  offer(batch: ShardBatch): void;
  log(msg: string, fields?: object): void;
}

/** Reads one shard while this worker holds its lease. */
export class ShardReader {
  readonly shardId: string;
  readonly #d: ShardReaderDeps;
  readonly #abort = new AbortController();
  #checkpoint: string | null;
  #iterator?: string;
  /** Set while the iterator reads AT a partly done aggregate: its done sub-records are skipped. */
  #resume?: KinesisCheckpoint;
  readonly done: Promise<void>;

  constructor(deps: ShardReaderDeps, shardId: string, checkpoint: string | null) {
    this.#d = deps;
    this.shardId = shardId;
    this.#checkpoint = checkpoint;
    this.done = this.#run();
  }

  /** Stops after the batch in flight is settled. */
  stop(): Promise<void> {
    this.#abort.abort();
    return this.done;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    const backoff = new Backoff(100, 5000);
    while (!signal.aborted) {
      try {
        this.#iterator ??= await this.#getIterator();
        const out = await this.#d.client.send(
          new GetRecordsCommand({ ShardIterator: this.#iterator, Limit: this.#d.maxRecords }),
          { abortSignal: signal },
        );
        backoff.reset();
        if (out.MillisBehindLatest !== undefined) {
          this.#d.metrics?.kinesisBehindMs.set(
            { stream: this.#d.stream, shard: this.shardId },
            out.MillisBehindLatest,
          );
        }
        if (await this.#handle(out)) return;
        if ((out.Records?.length ?? 0) === 0) await sleep(this.#d.pollMs, signal);
      } catch (error) {
        if (signal.aborted) return;
        const name = (error as Error)?.name ?? "";
        if (name === "ExpiredIteratorException") this.#iterator = undefined;
        else if (name === "ResourceNotFoundException" && !this.#iterator) return;
        const delay = backoff.next();
        this.#d.log(`Cannot read shard ${this.shardId}: ${(error as Error)?.message}`, {
          error: name,
          retry_in_ms: delay,
        });
        if (name !== "ExpiredIteratorException") await sleep(delay, signal);
      }
    }
  }

  /** Returns true when the shard is closed and fully read. */
  async #handle(out: GetRecordsCommandOutput): Promise<boolean> {
    const records = out.Records ?? [];
    if (records.length > 0) {
      const meta = { stream: this.#d.stream, shard: this.shardId };
      const messages = toShardMessages(records, meta, this.#resume);
      this.#resume = undefined;
      const ok = messages.length === 0 || await this.#offer(messages);
      if (!ok) {
        this.#iterator = undefined; // nacked or checkpoint failed: read again from the checkpoint
        return false;
      }
    }
    this.#iterator = out.NextShardIterator ?? undefined;
    if (out.NextShardIterator) return false;
    // A closed shard read to its end: children may start now.
    await this.#d.leases.finish(this.#d.leaseKey, this.shardId, this.#d.owner, this.#checkpoint);
    this.#d.log(`Shard ${this.shardId} finished`, {});
    return true;
  }

  /** Hands `messages` to the worker; true once all of them are checkpointed. */
  #offer(messages: SourceMessage[]): Promise<boolean> {
    return new Promise<boolean>((resolveOk) => {
      this.#d.offer({
        messages,
        settle: async ({ done, retryInMs }) => {
          try {
            if (done > 0 && !(await this.#save(checkpointOf(messages[done - 1])))) {
              return resolveOk(false);
            }
            if (done < messages.length && retryInMs) await sleep(retryInMs, this.#abort.signal);
            resolveOk(done >= messages.length);
          } catch (error) {
            resolveOk(false);
            throw error;
          }
        },
      });
    });
  }

  /** Moves the checkpoint; false (and this reader stops) when the lease was lost. */
  async #save(checkpoint: string): Promise<boolean> {
    const held = await this.#d.leases.checkpoint(
      this.#d.leaseKey,
      this.shardId,
      this.#d.owner,
      checkpoint,
    );
    if (held) this.#checkpoint = checkpoint;
    else this.#abort.abort(); // lease stolen or expired: the new owner goes on from its checkpoint
    return held;
  }

  #getIterator(): Promise<string> {
    const cp = parseCheckpoint(this.#checkpoint);
    this.#resume = cp?.sub !== undefined ? cp : undefined;
    const type = !cp
      ? "TRIM_HORIZON"
      : cp.sub !== undefined
      ? "AT_SEQUENCE_NUMBER"
      : "AFTER_SEQUENCE_NUMBER";
    return this.#d.client.send(
      new GetShardIteratorCommand({
        StreamName: this.#d.stream,
        ShardId: this.shardId,
        ShardIteratorType: type,
        StartingSequenceNumber: cp?.sequence,
      }),
      { abortSignal: this.#abort.signal },
    ).then((o) => o.ShardIterator!);
  }
}
