/**
 * Pub/Sub source: streaming pull with flow control (at most `maxMessages`
 * outstanding), messages acked only after the pipeline committed, nacked
 * (redelivered) on a retryable failure. Admin calls use bounded gax
 * timeouts so a dead emulator or endpoint fails fast instead of in 75 s.
 *
 * @module
 */
import { Duration, type Message, type PubSub, type Subscription } from "@google-cloud/pubsub";
import { IngestRetryableError, SourceError } from "./errors.ts";
import type { Lease, MessageSource, SourceMessage } from "./port.ts";
import { Waiters } from "./_waiters.ts";

/** Bounded gax call options for admin calls. */
export const PUBSUB_GAX_OPTIONS = { timeout: 5000, maxRetries: 0 } as const;

/** Options of {@linkcode PubSubSource}. */
export interface PubSubSourceOptions {
  pubsub: PubSub;
  subscription: string;
  /** Flow control: most messages outstanding (delivered, not acked). Default 2000. */
  maxMessages?: number;
  /** Most messages per lease. Default 1000. */
  maxBatch?: number;
  /** How long a lease waits for more messages once it has one. Default 50 ms: fewer, bigger commits. */
  lingerMs?: number;
  /**
   * Parallel streaming pulls. Default 8: the emulator hands each stream about
   * 2 000 messages/s, so one stream caps a worker there.
   */
  streams?: number;
}

/** A `MessageSource` over one Pub/Sub subscription. */
export class PubSubSource implements MessageSource {
  readonly kind = "pubsub";
  readonly #o: PubSubSourceOptions;
  #sub?: Subscription;
  #buffer: Message[] = [];
  readonly #waiters = new Waiters();
  #error?: Error;
  #closed = false;

  constructor(options: PubSubSourceOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    if (this.#sub) return;
    const max = this.#o.maxMessages ?? 2000;
    const sub = this.#o.pubsub.subscription(this.#o.subscription, {
      flowControl: { maxMessages: max, allowExcessMessages: false },
      // Short deadlines: messages a crashed worker held come back within ~10 s, not minutes.
      minAckDeadline: Duration.from({ seconds: 10 }),
      maxAckDeadline: Duration.from({ seconds: 10 }),
      batching: { maxMessages: 1000, maxMilliseconds: 10 },
      streamingOptions: { maxStreams: this.#o.streams ?? 8, timeout: 5000 },
      closeOptions: { behavior: "NACK", timeout: Duration.from({ seconds: 2 }) },
    });
    try {
      await sub.getMetadata(PUBSUB_GAX_OPTIONS);
    } catch (error) {
      // gRPC NOT_FOUND: the subscription does not exist; anything else is an outage.
      if ((error as { code?: number }).code === 5) {
        throw new SourceError(`Cannot find Pub/Sub subscription '${this.#o.subscription}'`, {
          cause: error,
        });
      }
      throw new IngestRetryableError(
        `Cannot reach Pub/Sub subscription '${this.#o.subscription}': ${(error as Error).message}`,
        { cause: error },
      );
    }
    sub.on("message", (m: Message) => {
      this.#buffer.push(m);
      this.#waiters.wake();
    });
    sub.on("error", (e: Error) => {
      this.#error = e;
      this.#waiters.wake();
    });
    this.#sub = sub;
  }

  isReady(): boolean {
    return this.#sub !== undefined && !this.#closed && this.#error === undefined;
  }

  async pull(signal: AbortSignal): Promise<Lease | null> {
    while (this.#buffer.length === 0) {
      if (this.#closed || signal.aborted) return null;
      if (this.#error) await this.#restart();
      await this.#waiters.wait(signal);
    }
    const max = this.#o.maxBatch ?? 1000;
    if (this.#buffer.length < max && (this.#o.lingerMs ?? 50) > 0) {
      // Streaming pull delivers in small chunks; a short linger makes bigger commits.
      await new Promise((r) => setTimeout(r, this.#o.lingerMs ?? 50));
    }
    if (this.#closed || signal.aborted || this.#buffer.length === 0) return null;
    const taken = this.#buffer.splice(0, max);
    return {
      messages: taken.map(toSourceMessage),
      ack: () => {
        for (const m of taken) m.ack();
        return Promise.resolve();
      },
      nack: () => {
        for (const m of taken) m.nack();
        return Promise.resolve();
      },
      // Unordered: the good messages are acked, the failed ones nacked (redelivered).
      retry: (failed) => {
        for (const m of taken) failed.has(m.id) ? m.nack() : m.ack();
        return Promise.resolve();
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const m of this.#buffer.splice(0)) m.nack();
    this.#waiters.wake();
    const sub = this.#sub;
    this.#sub = undefined;
    sub?.removeAllListeners();
    await sub?.close().catch(() => {});
  }

  async #restart(): Promise<void> {
    const error = this.#error!;
    const sub = this.#sub;
    this.#sub = undefined;
    this.#error = undefined;
    sub?.removeAllListeners();
    await sub?.close().catch(() => {});
    try {
      await this.start();
    } catch (e) {
      this.#error = error;
      throw e;
    }
  }
}

/**
 * Attributes go into `meta.attributes` as JSON and the ordering key into
 * `meta.ordering_key`, so a dead letter traces back to its publisher without
 * an attribute ever overwriting the platform's own fields.
 */
export function toSourceMessage(m: Message): SourceMessage {
  const meta: Record<string, string> = { source: "pubsub", message_id: m.id };
  if (m.attributes && Object.keys(m.attributes).length > 0) {
    meta.attributes = JSON.stringify(m.attributes);
  }
  if (m.orderingKey) meta.ordering_key = m.orderingKey;
  return { payload: m.data, id: m.id, meta, producedAtMs: m.publishTime?.getTime() };
}
