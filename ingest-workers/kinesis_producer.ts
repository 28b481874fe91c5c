/**
 * Kinesis producer for replay and load tests: PutRecords in chunks of 500,
 * partition key = user id, failed records retried.
 *
 * @module
 */
import { type KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { sleep } from "./_delivery.ts";
import { IngestRetryableError } from "./errors.ts";
import type { EventProducer, ProducerRecord } from "./port.ts";

const encoder = new TextEncoder();

/** Puts records on one stream. */
export class KinesisProducer implements EventProducer {
  readonly kind = "kinesis";
  readonly #client: KinesisClient;
  readonly #stream: string;

  constructor(client: KinesisClient, stream: string) {
    this.#client = client;
    this.#stream = stream;
  }

  async send(records: ProducerRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 500) {
      await this.#put(records.slice(i, i + 500));
    }
  }

  async #put(records: ProducerRecord[]): Promise<void> {
    let pending = records;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= 10) {
        throw new IngestRetryableError(`Cannot put ${pending.length} records on '${this.#stream}'`);
      }
      const out = await this.#client.send(
        new PutRecordsCommand({
          StreamName: this.#stream,
          Records: pending.map((r) => ({
            PartitionKey: r.key,
            Data: typeof r.value === "string" ? encoder.encode(r.value) : r.value,
          })),
        }),
      );
      // Throttled records come back with an error code; keep their order and retry them.
      pending = pending.filter((_, i) => out.Records?.[i]?.ErrorCode);
      if (pending.length > 0) await sleep(50 * 2 ** attempt);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
