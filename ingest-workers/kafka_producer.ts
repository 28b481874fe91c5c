/**
 * Kafka producer for replay and load tests: key = user id, so one user's
 * events stay ordered in one partition.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { type Kafka, Partitioners, type Producer } from "kafkajs";
import { KAFKA_CODECS, type KafkaCodecName } from "./_compression.ts";
import { registerKafkaCodecs } from "./kafka_codecs.ts";
import type { EventProducer, ProducerRecord } from "./port.ts";

/** Options of {@linkcode KafkaProducer}. */
export interface KafkaProducerOptions {
  /** Codec of the record batches. Default `none`. */
  compression?: KafkaCodecName;
}

/** Produces records to one topic, acks from all in-sync replicas. */
export class KafkaProducer implements EventProducer {
  readonly kind = "kafka";
  readonly #kafka: Kafka;
  readonly #topic: string;
  readonly #compression: number;
  #producer?: Producer;

  constructor(kafka: Kafka, topic: string, options: KafkaProducerOptions = {}) {
    this.#kafka = kafka;
    this.#topic = topic;
    this.#compression = KAFKA_CODECS[options.compression ?? "none"];
    if (this.#compression !== 0) registerKafkaCodecs();
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
      compression: this.#compression,
      messages: records.map((r) => ({
        key: r.key,
        value: typeof r.value === "string" ? r.value : Buffer.from(r.value),
        timestamp: String(Date.now()),
        headers: r.headers,
      })),
    });
  }

  async close(): Promise<void> {
    await this.#producer?.disconnect();
    this.#producer = undefined;
  }
}
