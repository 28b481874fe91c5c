/**
 * The ceiling of the edge benchmark: a bare `Deno.serve` returning a fixed
 * JSON body. Usage: `deno run --allow-net tests/bench/edge/ceiling.ts PORT`.
 *
 * @module
 */
const port = Number(Deno.args[0] ?? 8090);
const body = JSON.stringify({ prediction: 0, probabilities: [0.9, 0.1], model_name: "fixed" });
Deno.serve(
  { hostname: "127.0.0.1", port, onListen() {} },
  () => new Response(body, { headers: { "content-type": "application/json" } }),
);
