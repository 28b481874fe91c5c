/**
 * Pub/Sub producer for replay and load tests: the user id travels as the
 * ordering key (and an attribute), so a subscription with message ordering
 * delivers one user's events in the order they were published, as Kafka's
 * keys and Kinesis's partition keys do.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { PubSub, Topic } from "@google-cloud/pubsub";
import type { EventProducer, ProducerRecord } from "./port.ts";

/** Publishes to one topic with client-side batching and ordering keys. */
export class PubSubProducer implements EventProducer {
  readonly kind = "pubsub";
  readonly #topic: Topic;

  constructor(pubsub: PubSub, topic: string) {
    this.#topic = pubsub.topic(topic, {
      batching: { maxMessages: 1000, maxMilliseconds: 5 },
      messageOrdering: true,
      gaxOpts: { timeout: 5000 },
    });
  }

  async send(records: ProducerRecord[]): Promise<void> {
    const keys = new Set<string>();
    try {
      await Promise.all(records.map((r) => {
        keys.add(r.key);
        return this.#topic.publishMessage({
          data: Buffer.from(typeof r.value === "string" ? r.value : r.value),
          attributes: { user_id: r.key },
          orderingKey: r.key,
        });
      }));
    } catch (error) {
      // A failed publish pauses its ordering key; the caller's retry sends the batch again.
      for (const key of keys) this.#topic.resumePublishing(key);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.#topic.flush();
  }
}
