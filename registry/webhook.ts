/**
 * Verification of MLflow webhook deliveries (MLflow 3): HMAC-SHA256 over
 * `<delivery id>.<timestamp>.<raw body>` with the shared secret, sent as
 * `X-MLflow-Signature: v1,<base64>` beside `X-MLflow-Delivery-Id` and
 * `X-MLflow-Timestamp` (Unix seconds). Compared in constant time; unsigned,
 * stale and replayed deliveries are refused.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

/** Header names MLflow sends. */
export const WEBHOOK_HEADERS = {
  signature: "x-mlflow-signature",
  timestamp: "x-mlflow-timestamp",
  deliveryId: "x-mlflow-delivery-id",
} as const;

/** The body MLflow posts. */
export interface MlflowWebhookPayload {
  entity: string;
  action: string;
  timestamp?: string;
  data: { name?: string; version?: string; alias?: string; [k: string]: unknown };
}

/** Why a delivery was refused. */
export type WebhookRefusal = "unsigned" | "bad_signature" | "stale" | "replayed" | "malformed";

/** Result of {@linkcode WebhookVerifier.verify}. */
export type WebhookVerdict =
  | { ok: true; payload: MlflowWebhookPayload; deliveryId: string }
  | { ok: false; reason: WebhookRefusal; message: string };

/** Options of {@linkcode WebhookVerifier}. */
export interface WebhookVerifierOptions {
  secret: string;
  /** Largest distance between the timestamp and now, seconds (default 300). */
  toleranceSeconds?: number;
  now?: () => number;
}

/** Signs a delivery as MLflow does (for tests and the benchmark). */
export function signMlflowWebhook(
  secret: string,
  deliveryId: string,
  timestamp: string,
  body: string,
): string {
  const digest = createHmac("sha256", secret).update(`${deliveryId}.${timestamp}.${body}`).digest(
    "base64",
  );
  return `v1,${digest}`;
}

/** Verifies deliveries and remembers recent delivery ids to refuse replays. */
export class WebhookVerifier {
  readonly #secret: string;
  readonly #tolerance: number;
  readonly #now: () => number;
  readonly #seen = new Map<string, number>();

  constructor(options: WebhookVerifierOptions) {
    this.#secret = options.secret;
    this.#tolerance = options.toleranceSeconds ?? 300;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Checks what can be checked before the body is read: the three headers
   * are present, the timestamp is within the tolerance and the delivery id
   * is new. Returns the refusal, or null when the body is worth reading.
   */
  precheck(headers: Headers): WebhookVerdict & { ok: false } | null {
    const signature = headers.get(WEBHOOK_HEADERS.signature);
    const timestamp = headers.get(WEBHOOK_HEADERS.timestamp);
    const deliveryId = headers.get(WEBHOOK_HEADERS.deliveryId);
    if (!signature || !timestamp || !deliveryId) {
      return refuse(
        "unsigned",
        "Webhook refused: signature, timestamp or delivery id header missing",
      );
    }
    const nowSeconds = this.#now() / 1000;
    if (
      !/^\d{1,12}$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > this.#tolerance
    ) {
      return refuse(
        "stale",
        `Webhook refused: timestamp outside ${this.#tolerance} s '${timestamp.slice(0, 20)}'`,
      );
    }
    this.#forgetOld(nowSeconds);
    if (this.#seen.has(deliveryId)) {
      return refuse(
        "replayed",
        `Webhook refused: delivery already processed '${deliveryId.slice(0, 100)}'`,
      );
    }
    return null;
  }

  /** Checks headers and the raw body; parses the payload only once the signature holds. */
  verify(headers: Headers, body: string): WebhookVerdict {
    const early = this.precheck(headers);
    if (early) return early;
    const signature = headers.get(WEBHOOK_HEADERS.signature)!;
    const timestamp = headers.get(WEBHOOK_HEADERS.timestamp)!;
    const deliveryId = headers.get(WEBHOOK_HEADERS.deliveryId)!;
    const expected = Buffer.from(signMlflowWebhook(this.#secret, deliveryId, timestamp, body));
    const matches = signature.split(" ").some((candidate) => {
      const given = Buffer.from(candidate.trim());
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!matches) return refuse("bad_signature", "Webhook refused: signature does not match");
    let payload: MlflowWebhookPayload;
    try {
      payload = JSON.parse(body);
      // `typeof null` is "object": a null or array `data` is not a payload either.
      const data: unknown = payload?.data;
      if (
        typeof payload?.entity !== "string" || typeof data !== "object" || data === null ||
        Array.isArray(data)
      ) {
        throw new Error();
      }
    } catch {
      return refuse("malformed", "Webhook refused: body is not an MLflow webhook payload");
    }
    const seconds = Number(timestamp);
    this.#seen.set(deliveryId, seconds);
    return { ok: true, payload, deliveryId };
  }

  #forgetOld(nowSeconds: number): void {
    for (const [id, at] of this.#seen) {
      if (Math.abs(nowSeconds - at) > this.#tolerance) this.#seen.delete(id);
    }
  }
}

function refuse(reason: WebhookRefusal, message: string): WebhookVerdict & { ok: false } {
  return { ok: false, reason, message };
}
