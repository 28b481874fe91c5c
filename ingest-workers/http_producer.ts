/**
 * HTTP producer: posts NDJSON to a worker's `POST /ingest/{path}` (a
 * source's HTTP path; `events` for the fraud example).
 *
 * @module
 */
import { IngestRetryableError, SourceError } from "./errors.ts";
import { MAX_EVENTS_PER_REQUEST } from "./http.ts";
import type { EventProducer, ProducerRecord } from "./port.ts";

/** Posts records to `<baseUrl>/ingest/<path>`, at most 10 000 per request. */
export class HttpProducer implements EventProducer {
  readonly kind = "http";
  readonly #url: string;
  readonly #apiKey?: string;

  constructor(baseUrl: string, apiKey?: string, path = "events") {
    this.#url = new URL(`/ingest/${encodeURIComponent(path)}`, baseUrl).href;
    this.#apiKey = apiKey;
  }

  async send(records: ProducerRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += MAX_EVENTS_PER_REQUEST) {
      const chunk = records.slice(i, i + MAX_EVENTS_PER_REQUEST);
      const body = chunk.map((r) =>
        typeof r.value === "string" ? r.value : new TextDecoder().decode(r.value)
      )
        .join("\n");
      const headers: Record<string, string> = { "content-type": "application/x-ndjson" };
      if (this.#apiKey) headers["x-api-key"] = this.#apiKey;
      const res = await fetch(this.#url, { method: "POST", body, headers });
      const text = await res.text();
      if (res.status === 503) {
        throw new IngestRetryableError(`Cannot post events to ${this.#url}: ${text}`);
      }
      if (res.status !== 202) {
        throw new SourceError(`Cannot post events to ${this.#url}: ${res.status} ${text}`);
      }
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
