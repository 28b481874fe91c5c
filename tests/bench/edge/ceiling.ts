/**
 * The ceiling of the edge benchmark: a bare `Deno.serve` returning a fixed
 * JSON body. Usage: `deno run --allow-net tests/bench/edge/ceiling.ts PORT
 * [BYTES]`; with BYTES, the fixed body is padded to that size and carries an
 * `X-Request-ID` header and chunked framing, as a `/predict` response does.
 *
 * @module
 */
const port = Number(Deno.args[0] ?? 8090);
const bytes = Number(Deno.args[1] ?? 0);
const small = JSON.stringify({ prediction: 0, probabilities: [0.9, 0.1], model_name: "fixed" });
const body = bytes > small.length
  ? `${small.slice(0, -1)},"pad":"${"x".repeat(bytes - small.length - 9)}"}`
  : small;
// Sized like /predict, it is framed like /predict too: chunked (one write; see
// `EdgeConfig.chunkedPredict`).
const headers: Record<string, string> = bytes > 0
  ? {
    "X-Request-ID": crypto.randomUUID(),
    "Content-Type": "application/json",
    "Transfer-Encoding": "chunked",
  }
  : { "content-type": "application/json" };
Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, () => new Response(body, { headers }));
