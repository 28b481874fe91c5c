/**
 * A minimal ONNX protobuf writer, enough to build small test graphs
 * without Python. Only the fields the test graphs use are encoded.
 *
 * @module
 */

type Field = Uint8Array;

function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const enc = new TextEncoder();

/** A varint field. */
export function fInt(no: number, v: number | bigint): Field {
  return new Uint8Array([...varint(no << 3), ...varint(v)]);
}
/** A length-delimited field (bytes, string or sub-message). */
export function fBytes(no: number, v: Uint8Array | string): Field {
  const b = typeof v === "string" ? enc.encode(v) : v;
  return concat([new Uint8Array([...varint((no << 3) | 2), ...varint(b.length)]), b]);
}
/** A 32-bit float field. */
export function fFloat(no: number, v: number): Field {
  const b = new Uint8Array(5);
  b[0] = (no << 3) | 5;
  new DataView(b.buffer).setFloat32(1, v, true);
  return b;
}
/** A message built from fields. */
export function msg(...fields: Field[]): Uint8Array {
  return concat(fields);
}

/** ONNX element types used here. */
export const ONNX_FLOAT = 1;
/** ONNX INT64 element type. */
export const ONNX_INT64 = 7;

/** A float32 initializer tensor. */
export function floatTensor(name: string, dims: number[], values: number[]): Uint8Array {
  const raw = new Uint8Array(new Float32Array(values).buffer);
  return msg(...dims.map((d) => fInt(1, d)), fInt(2, ONNX_FLOAT), fBytes(8, name), fBytes(9, raw));
}
/** An int64 initializer tensor. */
export function int64Tensor(name: string, dims: number[], values: number[]): Uint8Array {
  const raw = new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer);
  return msg(...dims.map((d) => fInt(1, d)), fInt(2, ONNX_INT64), fBytes(8, name), fBytes(9, raw));
}

/** A graph input/output description; `null` dims are symbolic (`N`). */
export function valueInfo(name: string, elemType: number, dims: (number | null)[]): Uint8Array {
  const shape = msg(
    ...dims.map((d) => fBytes(1, d === null ? msg(fBytes(2, "N")) : msg(fInt(1, d)))),
  );
  const tensorType = msg(fInt(1, elemType), fBytes(2, shape));
  return msg(fBytes(1, name), fBytes(2, msg(fBytes(1, tensorType))));
}

/** An integer attribute. */
export function intAttr(name: string, v: number): Uint8Array {
  return msg(fBytes(1, name), fInt(3, v), fInt(20, 2));
}

/** A graph node. */
export function node(
  op: string,
  inputs: string[],
  outputs: string[],
  attrs: Uint8Array[] = [],
): Uint8Array {
  return msg(
    ...inputs.map((i) => fBytes(1, i)),
    ...outputs.map((o) => fBytes(2, o)),
    fBytes(3, `${op}_${outputs[0]}`),
    fBytes(4, op),
    ...attrs.map((a) => fBytes(5, a)),
  );
}

/** A model (IR 8, default opset 13) from its graph parts. */
export function model(parts: {
  nodes: Uint8Array[];
  initializers: Uint8Array[];
  inputs: Uint8Array[];
  outputs: Uint8Array[];
}): Uint8Array {
  const graph = msg(
    ...parts.nodes.map((n) => fBytes(1, n)),
    fBytes(2, "g"),
    ...parts.initializers.map((t) => fBytes(5, t)),
    ...parts.inputs.map((i) => fBytes(11, i)),
    ...parts.outputs.map((o) => fBytes(12, o)),
  );
  return msg(
    fInt(1, 8),
    fBytes(2, "rtml-edge-tests"),
    fBytes(7, graph),
    fBytes(8, msg(fInt(2, 13))),
  );
}
