/**
 * Kafka producer for replay and load tests: key = user id, so one user's
 * events stay ordered in one partition.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { type Kafka, Partitioners, type Producer } from "kafkajs";
import type { EventProducer, ProducerRecord } from "./port.ts";

/** Produces records to one topic, acks from all in-sync replicas. */
export class KafkaProducer implements EventProducer {
  readonly kind = "kafka";
  readonly #kafka: Kafka;
  readonly #topic: string;
  #producer?: Producer;

  constructor(kafka: Kafka, topic: string) {
    this.#kafka = kafka;
    this.#topic = topic;
  }

  async send(records: ProducerRecord[]): Promise<void> {
    if (!this.#producer) {
      const p = this.#kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await p.connect();
      this.#producer = p;
    }
    await this.#producer.send({
      topic: this.#topic,
      acks: -1,
      messages: records.map((r) => ({
        key: r.key,
        value: typeof r.value === "string" ? r.value : Buffer.from(r.value),
        timestamp: String(Date.now()),
      })),
    });
  }

  async close(): Promise<void> {
    await this.#producer?.disconnect();
    this.#producer = undefined;
  }
}
