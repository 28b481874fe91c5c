/**
 * ONNX export of the platform's trained models, written with protobufjs
 * from a subset of `onnx.proto`.
 *
 * ```ts
 * import { toOnnx } from "./mod.ts";
 * const bytes = toOnnx(model); // input `input` [N, F] → `label`, `probabilities` [N, 2]
 * ```
 *
 * @module
 */
export {
  decodeOnnx,
  gbdtToOnnx,
  IR_VERSION,
  logregToOnnx,
  type OnnxExportOptions,
  OPSETS,
  toOnnx,
} from "./to_onnx.ts";
export { ONNX_PROTO_JSON } from "./_proto.ts";
export { type OnnxAttribute, type OnnxGraph, type OnnxNode, readOnnxGraph } from "./read.ts";
