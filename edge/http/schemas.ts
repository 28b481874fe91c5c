/**
 * zod schemas of the edge's own endpoints (health, models, Open Inference
 * Protocol v2); the prediction API schemas live in `schemas/prediction.ts`.
 * `/openapi.json` is generated from these.
 *
 * @module
 */
import { z } from "zod";

/** `GET /health`. */
export const HealthResponseSchema = z.object({
  status: z.enum(["healthy", "degraded"]),
  timestamp: z.string(),
  uptime_s: z.number(),
  checks: z.object({
    models: z.object({ status: z.enum(["ok", "degraded"]), loaded: z.number().int() }),
    online_store: z.object({
      status: z.enum(["ok", "degraded", "disabled"]),
      kind: z.string(),
      last_error: z.string().optional(),
    }),
    registry: z.object({
      status: z.enum(["ok", "degraded"]),
      kind: z.string(),
      last_error: z.string().optional(),
    }),
  }),
});

/** `GET /ready` when ready. */
export const ReadyResponseSchema = z.object({
  ready: z.literal(true),
  model_name: z.string(),
  model_version: z.string(),
});

/** One loaded version in `/models`. */
export const LoadedVersionSchema = z.object({
  version: z.string(),
  sha256: z.string(),
  loaded_at: z.string(),
  framework: z.string(),
  inputs: z.array(z.string()),
  aliases: z.array(z.string()),
});

/** `GET /models/{name}`. */
export const ModelInfoSchema = z.object({
  name: z.string(),
  aliases: z.record(z.string(), z.string()),
  available_versions: z.array(z.string()),
  traffic: z.object({
    mode: z.enum(["single", "canary", "shadow"]),
    challenger_percent: z.number(),
  }),
  versions: z.array(LoadedVersionSchema),
});

/** `GET /models`. */
export const ModelListSchema = z.object({
  default_model: z.string(),
  models: z.array(ModelInfoSchema),
});

/** Parameters of a tensor, a request or a response (Open Inference Protocol v2). */
export const InferParametersSchema = z.record(z.string(), z.unknown());

/**
 * An input tensor of the Open Inference Protocol (v2): values in `data`
 * (row-major, may be nested), or, with the binary tensor data extension,
 * `parameters.binary_data_size` bytes after the JSON header.
 */
export const InferTensorSchema = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().min(0)).max(8),
  datatype: z.string().min(1),
  data: z.array(z.unknown()).optional(),
  parameters: InferParametersSchema.optional(),
});

/** A requested output. */
export const InferRequestedOutputSchema = z.object({
  name: z.string().min(1),
  parameters: InferParametersSchema.optional(),
});

/**
 * `POST /v2/models/{name}[/versions/{v}]/infer`: the JSON body, or the JSON
 * header of a binary body (`Inference-Header-Content-Length` bytes).
 */
export const InferRequestSchema = z.object({
  id: z.string().optional(),
  parameters: InferParametersSchema.optional(),
  inputs: z.array(InferTensorSchema).min(1),
  outputs: z.array(InferRequestedOutputSchema).optional(),
});
/** An inference request. */
export type InferRequest = z.infer<typeof InferRequestSchema>;

/** An output tensor: values in `data`, or `parameters.binary_data_size` bytes after the JSON. */
export const InferOutputSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int()),
  datatype: z.string(),
  data: z.array(z.number()).optional(),
  parameters: z.object({ binary_data_size: z.number().int() }).optional(),
});

/** Response of an inference (the JSON header when outputs are binary). */
export const InferResponseSchema = z.object({
  model_name: z.string(),
  model_version: z.string(),
  id: z.string().optional(),
  parameters: InferParametersSchema.optional(),
  outputs: z.array(InferOutputSchema),
});

/** The error body of every `/v2` route, as the protocol defines it. */
export const V2ErrorSchema = z.object({ error: z.string() });

/** `GET /v2`. */
export const ServerMetadataSchema = z.object({
  name: z.string(),
  version: z.string(),
  extensions: z.array(z.string()),
});

/** `GET /v2/health/live`. */
export const LiveSchema = z.object({ live: z.boolean() });
/** `GET /v2/health/ready`. */
export const ServerReadySchema = z.object({ ready: z.boolean() });
/** `GET /v2/models/{name}/ready`. */
export const ModelReadySchema = z.object({ name: z.string(), ready: z.boolean() });

const TensorMetaSchema = z.object({
  name: z.string(),
  datatype: z.string(),
  shape: z.array(z.number().int()),
});

/** `GET /v2/models/{name}[/versions/{v}]`. */
export const ModelMetadataSchema = z.object({
  name: z.string(),
  versions: z.array(z.string()),
  platform: z.string(),
  inputs: z.array(TensorMetaSchema),
  outputs: z.array(TensorMetaSchema),
});

const ConfigTensorSchema = z.object({
  name: z.string(),
  data_type: z.string(),
  dims: z.array(z.number().int()),
  reshape: z.object({ shape: z.array(z.number().int()) }).optional(),
});

/**
 * `GET /v2/models/{name}[/versions/{v}]/config`: the model configuration
 * extension in Triton's JSON form (dims without the batch dimension).
 */
export const ModelConfigSchema = z.object({
  name: z.string(),
  platform: z.string(),
  backend: z.string(),
  max_batch_size: z.number().int(),
  input: z.array(ConfigTensorSchema),
  output: z.array(ConfigTensorSchema),
  parameters: z.record(z.string(), z.object({ string_value: z.string() })),
});
