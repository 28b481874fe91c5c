import assert from "node:assert/strict";
import { redactText, redactUrl } from "./redact.ts";

Deno.test("redactUrl() hides the password of the user info and keeps the rest", () => {
  assert.equal(redactUrl("redis://:s3cret@redis:6379/0"), "redis://:***@redis:6379/0");
  assert.equal(
    redactUrl("postgres://platform:pw@db:5432/platform"),
    "postgres://platform:***@db:5432/platform",
  );
  assert.equal(redactUrl("https://tok3n@upstash.example"), "https://***@upstash.example");
  assert.equal(redactUrl("http://127.0.0.1:55000"), "http://127.0.0.1:55000");
  assert.equal(redactUrl("not a url"), "not a url");
});

Deno.test("redactUrl() hides secret query values only", () => {
  assert.equal(
    redactUrl("https://gw/get/k?_token=abc&x=1&X-Amz-Signature=def#frag"),
    "https://gw/get/k?_token=***&x=1&X-Amz-Signature=***#frag",
  );
  assert.equal(redactUrl("https://h/p?page=2"), "https://h/p?page=2");
});

Deno.test("redactText() redacts every URL inside a message", () => {
  const text =
    "Cannot reach MLflow at 'https://ml:pw@mlflow:5000': refused; redis redis://:pa55@r:6379 down";
  const out = redactText(text);
  assert.equal(
    out,
    "Cannot reach MLflow at 'https://ml:***@mlflow:5000': refused; redis redis://:***@r:6379 down",
  );
  assert.ok(!out.includes("pw@") && !out.includes("pa55"));
});
