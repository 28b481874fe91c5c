/**
 * Reads the nodes of an ONNX graph with their attributes decoded (strings
 * as text, int64 as numbers), for code that interprets operators itself
 * (the explainers of `pipeline/explain/`).
 *
 * @module
 */
import { modelProtoType } from "./_proto.ts";

/** One attribute of a node, whichever of its fields is set. */
export interface OnnxAttribute {
  name: string;
  f?: number;
  i?: number;
  s?: string;
  floats: number[];
  ints: number[];
  strings: string[];
  /** Whether a tensor (`*_as_tensor`) value was given. */
  hasTensor: boolean;
}

/** One node of the graph. */
export interface OnnxNode {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

/** The graph's nodes and the names of its inputs and outputs. */
export interface OnnxGraph {
  nodes: OnnxNode[];
  inputs: string[];
  outputs: string[];
}

const decoder = new TextDecoder();

interface RawAttribute {
  name?: string;
  f?: number;
  i?: number | { toNumber(): number };
  s?: Uint8Array;
  t?: unknown;
  floats?: number[];
  ints?: (number | { toNumber(): number })[];
  strings?: Uint8Array[];
}

const num = (v: number | { toNumber(): number }) => typeof v === "number" ? v : v.toNumber();

/** Decodes the graph of serialised ONNX model bytes. Throws on bytes that are not a model. */
export function readOnnxGraph(bytes: Uint8Array): OnnxGraph {
  const type = modelProtoType();
  const model = type.toObject(type.decode(bytes), { longs: Number, defaults: false }) as {
    graph?: {
      node?: {
        op_type?: string;
        domain?: string;
        input?: string[];
        output?: string[];
        attribute?: RawAttribute[];
      }[];
      input?: { name?: string }[];
      output?: { name?: string }[];
    };
  };
  const graph = model.graph ?? {};
  return {
    nodes: (graph.node ?? []).map((n) => ({
      opType: n.op_type ?? "",
      domain: n.domain ?? "",
      inputs: n.input ?? [],
      outputs: n.output ?? [],
      attributes: new Map((n.attribute ?? []).map((a) => [a.name ?? "", {
        name: a.name ?? "",
        f: a.f,
        i: a.i === undefined ? undefined : num(a.i),
        s: a.s === undefined ? undefined : decoder.decode(a.s),
        floats: a.floats ?? [],
        ints: (a.ints ?? []).map(num),
        strings: (a.strings ?? []).map((s) => decoder.decode(s)),
        hasTensor: a.t !== undefined,
      }])),
    })),
    inputs: (graph.input ?? []).map((i) => i.name ?? ""),
    outputs: (graph.output ?? []).map((o) => o.name ?? ""),
  };
}
