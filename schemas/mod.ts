/**
 * Shared zod schemas and types: events, the prediction API, model
 * manifests, the model pointer and Redis key layout, config helpers and the
 * `PlatformError` base. No I/O, no logic beyond validation.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./config.ts";
export * from "./time.ts";
export * from "./event.ts";
export * from "./manifest.ts";
export * from "./prediction.ts";
export * from "./pointer.ts";
export * from "./redact.ts";
