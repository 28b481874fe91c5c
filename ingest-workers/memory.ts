/**
 * In-memory message source: the embedded default (HTTP and file replay feed
 * it) and the reference adapter of the `MessageSource` contract.
 *
 * @module
 */
import type { Lease, MessageSource, SourceMessage } from "./port.ts";
import { Waiters } from "./_waiters.ts";

/** Options of {@linkcode MemorySource}. */
export interface MemorySourceOptions {
  /** Most messages in one lease. Default 500. */
  maxBatch?: number;
  /** Most messages waiting before `publish` refuses more. Default 100 000. */
  capacity?: number;
}

const encoder = new TextEncoder();

/**
 * A FIFO of messages. A lease takes messages out; `nack` puts them back at
 * the head, in order, so they are delivered again before anything newer.
 */
export class MemorySource implements MessageSource {
  readonly kind = "memory";
  readonly #maxBatch: number;
  readonly #capacity: number;
  #queue: SourceMessage[] = [];
  readonly #waiters = new Waiters();
  #inFlight = 0;
  #closed = false;
  #seq = 0;
  readonly #held = new Set<ReturnType<typeof setTimeout>>();

  constructor(options: MemorySourceOptions = {}) {
    this.#maxBatch = options.maxBatch ?? 500;
    this.#capacity = options.capacity ?? 100_000;
  }

  /** Messages waiting, not counting those leased out. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Messages leased out and neither acked nor nacked yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Appends raw payloads; returns how many were taken (fewer when full). */
  publish(payloads: (Uint8Array | string)[], meta: Record<string, string> = {}): number {
    if (this.#closed) return 0;
    const room = Math.max(0, this.#capacity - this.#queue.length - this.#inFlight);
    const taken = payloads.slice(0, room);
    const now = Date.now();
    for (const p of taken) {
      const id = String(++this.#seq);
      const payload = typeof p === "string" ? encoder.encode(p) : p;
      this.#queue.push({ payload, id, meta: { ...meta, source: "memory" }, producedAtMs: now });
    }
    if (taken.length > 0) this.#waiters.wake();
    return taken.length;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  isReady(): boolean {
    return !this.#closed;
  }

  async pull(signal: AbortSignal): Promise<Lease | null> {
    while (this.#queue.length === 0) {
      if (this.#closed || signal.aborted) return null;
      await this.#waiters.wait(signal);
    }
    if (this.#closed || signal.aborted) return null;
    const messages = this.#queue.splice(0, this.#maxBatch);
    this.#inFlight += messages.length;
    return this.#lease(messages);
  }

  close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#held) clearTimeout(t);
    this.#held.clear();
    this.#waiters.wake();
    return Promise.resolve();
  }

  #lease(messages: SourceMessage[]): Lease {
    let settled = false;
    const settle = () => {
      if (settled) throw new Error("Cannot settle lease: it was already acked or nacked");
      settled = true;
      this.#inFlight -= messages.length;
    };
    return {
      messages,
      ack: () =>
        new Promise<void>((resolve) => {
          settle();
          resolve();
        }),
      nack: () =>
        new Promise<void>((resolve) => {
          settle();
          this.#requeue(messages);
          resolve();
        }),
      retry: (failed, _reason, retryInMs) =>
        new Promise<void>((resolve) => {
          settle();
          const again = messages.filter((m) => failed.has(m.id));
          this.#inFlight += again.length;
          // Held back for the delay, then first in line again.
          const timer = setTimeout(() => {
            this.#held.delete(timer);
            this.#inFlight -= again.length;
            if (!this.#closed) this.#requeue(again);
          }, retryInMs);
          this.#held.add(timer);
          resolve();
        }),
    };
  }

  #requeue(messages: SourceMessage[]): void {
    this.#queue.unshift(...messages);
    this.#waiters.wake();
  }
}
