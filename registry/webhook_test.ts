import assert from "node:assert/strict";
import { signMlflowWebhook, WebhookVerifier } from "./webhook.ts";

const secret = "s3cret";
const body = JSON.stringify({
  entity: "model_version_alias",
  action: "created",
  timestamp: "2026-11-28T00:00:00+00:00",
  data: { name: "m", alias: "champion", version: "2" },
});
const now = 1_800_000_000_000;

function headers(overrides: Record<string, string | undefined> = {}) {
  const timestamp = overrides.timestamp ?? String(now / 1000);
  const id = overrides.id ?? crypto.randomUUID();
  const h = new Headers({
    "x-mlflow-delivery-id": id,
    "x-mlflow-timestamp": timestamp,
    "x-mlflow-signature": overrides.signature ?? signMlflowWebhook(secret, id, timestamp, body),
  });
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) h.delete(`x-mlflow-${k}`);
  return h;
}

const verifier = () => new WebhookVerifier({ secret, toleranceSeconds: 300, now: () => now });

Deno.test("WebhookVerifier.verify() accepts a delivery signed as MLflow signs it", () => {
  const verdict = verifier().verify(headers(), body);
  assert.equal(verdict.ok, true);
  if (verdict.ok) assert.equal(verdict.payload.data.alias, "champion");
});

Deno.test("WebhookVerifier.verify() refuses an unsigned delivery", () => {
  const verdict = verifier().verify(headers({ signature: undefined }), body);
  assert.deepEqual(verdict.ok ? "ok" : verdict.reason, "unsigned");
});

Deno.test("WebhookVerifier.verify() refuses a wrong secret and a changed body", () => {
  const v = verifier();
  const id = "d1";
  const ts = String(now / 1000);
  const wrong = v.verify(
    headers({ id, signature: signMlflowWebhook("other", id, ts, body) }),
    body,
  );
  assert.equal(wrong.ok ? "ok" : wrong.reason, "bad_signature");
  const tampered = v.verify(headers({ id: "d2" }), body.replace('"2"', '"3"'));
  assert.equal(tampered.ok ? "ok" : tampered.reason, "bad_signature");
});

Deno.test("WebhookVerifier.verify() refuses a stale timestamp even when signed", () => {
  const verdict = verifier().verify(headers({ timestamp: String(now / 1000 - 301) }), body);
  assert.equal(verdict.ok ? "ok" : verdict.reason, "stale");
});

Deno.test("WebhookVerifier.verify() refuses a replayed delivery id", () => {
  const v = verifier();
  const h = headers({ id: "same" });
  assert.equal(v.verify(h, body).ok, true);
  const again = v.verify(h, body);
  assert.equal(again.ok ? "ok" : again.reason, "replayed");
});

Deno.test("WebhookVerifier.verify() refuses a signed payload whose data is null or not an object", () => {
  for (const data of [null, [1], "x"]) {
    const payload = JSON.stringify({ entity: "model_version_alias", action: "created", data });
    const id = crypto.randomUUID();
    const ts = String(now / 1000);
    const h = new Headers({
      "x-mlflow-delivery-id": id,
      "x-mlflow-timestamp": ts,
      "x-mlflow-signature": signMlflowWebhook(secret, id, ts, payload),
    });
    const verdict = verifier().verify(h, payload);
    assert.equal(verdict.ok ? "ok" : verdict.reason, "malformed", JSON.stringify(data));
  }
});

Deno.test("WebhookVerifier.precheck() refuses missing headers and stale timestamps before the body", () => {
  const v = verifier();
  assert.equal(v.precheck(headers({ signature: undefined }))?.reason, "unsigned");
  assert.equal(v.precheck(headers({ timestamp: String(now / 1000 + 301) }))?.reason, "stale");
  assert.equal(v.precheck(headers()), null);
});
