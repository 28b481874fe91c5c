import assert from "node:assert/strict";
import { EdgeError } from "../errors.ts";
import { encodeInferResponse, parseInferBody } from "./v2_wire.ts";

const encoder = new TextEncoder();

/** A body of `header` (JSON) followed by `tail` bytes; returns it and the header's length. */
function body(header: unknown, tail: number[] = []): [Uint8Array, string] {
  const h = encoder.encode(JSON.stringify(header));
  const b = new Uint8Array(h.length + tail.length);
  b.set(h);
  b.set(tail, h.length);
  return [b, String(h.length)];
}

const input = (parameters: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  inputs: [{ name: "input", shape: [1, 2], datatype: "FP32", parameters, ...extra }],
});

function rejects(fn: () => unknown, code: string, message: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof EdgeError);
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });
}

Deno.test("parseInferBody() reads binary inputs after the JSON header, in order", () => {
  const [b, len] = body(
    {
      inputs: [
        { name: "a", shape: [1], datatype: "FP32", parameters: { binary_data_size: 4 } },
        { name: "b", shape: [1], datatype: "FP32", data: [2] },
        { name: "c", shape: [2], datatype: "FP32", parameters: { binary_data_size: 8 } },
      ],
    },
    [...new Uint8Array(new Float32Array([1, 3, 4]).buffer)],
  );
  const { inputs } = parseInferBody(b, len);
  assert.deepEqual(inputs.map((t) => t.name), ["a", "b", "c"]);
  assert.deepEqual([...new Float32Array(inputs[0].bytes!.slice().buffer)], [1]);
  assert.deepEqual(inputs[1].data, [2]);
  assert.deepEqual([...new Float32Array(inputs[2].bytes!.slice().buffer)], [3, 4]);
});

Deno.test("parseInferBody() takes the whole body as JSON without Inference-Header-Content-Length", () => {
  const [b] = body({
    id: "x",
    inputs: [{ name: "input", shape: [1], datatype: "FP32", data: [1] }],
  });
  const { request, inputs } = parseInferBody(b, undefined);
  assert.equal(request.id, "x");
  assert.deepEqual(inputs[0].data, [1]);
});

Deno.test("parseInferBody() says what is wrong with a malformed binary request", () => {
  const eight = Array(8).fill(0);
  const cases: [() => unknown, RegExp][] = [
    [
      () => parseInferBody(body(input({}))[0], "abc"),
      /^Invalid Inference-Header-Content-Length: 'abc'; expected the byte length of the JSON header$/,
    ],
    [
      () => parseInferBody(body(input({}))[0], "-3"),
      /^Invalid Inference-Header-Content-Length: '-3'/,
    ],
    [
      () => parseInferBody(body(input({}))[0], "99999"),
      /^Inference-Header-Content-Length is 99999 but the body holds only \d+ bytes$/,
    ],
    [() => parseInferBody(body(input({}))[0], "0"), /^Inference-Header-Content-Length is 0/],
    [
      () => parseInferBody(...body(input({ binary_data_size: -4 }), eight)),
      /^Input 'input': parameters.binary_data_size must be a non-negative integer, got -4$/,
    ],
    [() => parseInferBody(...body(input({ binary_data_size: "8" }), eight)), /got "8"$/],
    [
      () => parseInferBody(...body(input({ binary_data_size: 12 }), eight)),
      /^Input 'input' declares 12 bytes of binary data at offset \d+, past the end of the \d+-byte body$/,
    ],
    [
      () => parseInferBody(...body(input({ binary_data_size: 4 }), eight)),
      /^8 bytes follow the JSON header but the inputs' binary_data_size add up to 4$/,
    ],
    [
      () => parseInferBody(...body(input({}, { data: [1, 2] }), eight)),
      /^8 bytes follow the JSON header but the inputs' binary_data_size add up to 0$/,
    ],
    [
      () => parseInferBody(...body(input({ binary_data_size: 8 }, { data: [1, 2] }), eight)),
      /^Input 'input' has both 'data' and 'parameters.binary_data_size'$/,
    ],
    [
      () => parseInferBody(body(input({ binary_data_size: 8 }))[0], undefined),
      /^Input 'input' has parameters.binary_data_size but the request has no Inference-Header-Content-Length header$/,
    ],
    [() => parseInferBody(...body(input({}))), /^Input 'input' has no data: send 'data'/],
    [
      () =>
        parseInferBody(...body(input({ shared_memory_region: "r", shared_memory_byte_size: 8 }))),
      /^Input 'input' names a shared memory region: shared memory is not supported$/,
    ],
    [
      () =>
        parseInferBody(
          ...body({
            ...input({}, { data: [1, 2] }),
            outputs: [{ name: "label", parameters: { classification: 2 } }],
          }),
        ),
      /^Output 'label' asks for classification: that extension is not supported$/,
    ],
    [
      () =>
        parseInferBody(
          ...body({
            ...input({}, { data: [1, 2] }),
            outputs: [{ name: "label", parameters: { binary_data: 1 } }],
          }),
        ),
      /^Output 'label': parameters.binary_data must be true or false$/,
    ],
    [
      () =>
        parseInferBody(
          ...body({ ...input({}, { data: [1, 2] }), parameters: { binary_data_output: "yes" } }),
        ),
      /^parameters.binary_data_output must be true or false$/,
    ],
  ];
  for (const [fn, message] of cases) rejects(fn, "bad_request", message);
  rejects(
    () => parseInferBody(encoder.encode('{"inputs": [} ....'), "14"),
    "invalid_json",
    /^Invalid JSON header \(the first Inference-Header-Content-Length bytes\): /,
  );
  rejects(
    () => parseInferBody(...body({ inputs: [{ name: "input", shape: [1], data: [1] }] })),
    "validation_failed",
    /^Invalid inference request: inputs.0.datatype: /,
  );
});

Deno.test("encodeInferResponse() writes binary outputs after the JSON header, INT64 little-endian", () => {
  const enc = encodeInferResponse({ model_name: "m", model_version: "1" }, [
    { name: "label", datatype: "INT64", shape: [3], values: [1, 0, -2], binary: true },
    { name: "p", datatype: "FP32", shape: [1], values: new Float32Array([0.25]), binary: false },
    { name: "q", datatype: "FP32", shape: [2], values: new Float32Array([0.5, 2]), binary: true },
  ]);
  assert.ok(enc.headerLength !== undefined);
  const bytes = enc.body as Uint8Array;
  const head = JSON.parse(new TextDecoder().decode(bytes.subarray(0, enc.headerLength)));
  assert.deepEqual(head, {
    model_name: "m",
    model_version: "1",
    outputs: [
      { name: "label", datatype: "INT64", shape: [3], parameters: { binary_data_size: 24 } },
      { name: "p", datatype: "FP32", shape: [1], data: [0.25] },
      { name: "q", datatype: "FP32", shape: [2], parameters: { binary_data_size: 8 } },
    ],
  });
  const rest = bytes.slice(enc.headerLength);
  assert.equal(rest.length, 32);
  assert.deepEqual([...new BigInt64Array(rest.buffer, 0, 3)], [1n, 0n, -2n]);
  assert.deepEqual([...new Float32Array(rest.buffer, 24, 2)], [0.5, 2]);
});

Deno.test("encodeInferResponse() writes JSON only when no output is binary", () => {
  const enc = encodeInferResponse({ model_name: "m" }, [
    { name: "label", datatype: "INT64", shape: [1], values: [1], binary: false },
  ]);
  assert.equal(enc.headerLength, undefined);
  assert.deepEqual(JSON.parse(enc.body as string).outputs[0].data, [1]);
});
