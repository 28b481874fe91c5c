/**
 * Pub/Sub producer for replay and load tests; the user id travels as an
 * attribute.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { PubSub, Topic } from "@google-cloud/pubsub";
import type { EventProducer, ProducerRecord } from "./port.ts";

/** Publishes to one topic with client-side batching. */
export class PubSubProducer implements EventProducer {
  readonly kind = "pubsub";
  readonly #topic: Topic;

  constructor(pubsub: PubSub, topic: string) {
    this.#topic = pubsub.topic(topic, {
      batching: { maxMessages: 1000, maxMilliseconds: 5 },
      gaxOpts: { timeout: 5000 },
    });
  }

  async send(records: ProducerRecord[]): Promise<void> {
    await Promise.all(records.map((r) =>
      this.#topic.publishMessage({
        data: Buffer.from(typeof r.value === "string" ? r.value : r.value),
        attributes: { user_id: r.key },
      })
    ));
  }

  async close(): Promise<void> {
    await this.#topic.flush();
  }
}
