/**
 * The declarative transforms of request-time features and model inputs:
 * from a raw field (identity, log1p, time parts, crc32 mod N) or over other
 * features (difference, ratio, z-score). The code that runs them is
 * `pipeline/features/transforms.ts`, called by the one row assembler.
 *
 * @module
 */
import { z } from "zod";

const source = z.string().min(1).describe("Raw field the transform reads");

/** A declarative transform from a raw field to one numeric model input. */
export const TransformSpecSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("identity"), source }),
  z.object({ kind: z.literal("bool"), source }),
  z.object({ kind: z.literal("log1p"), source }),
  z.object({
    kind: z.literal("crc32_mod"),
    source,
    modulo: z.number().int().positive(),
    /** Value used when the raw field is missing or null (before hashing). */
    missing: z.string().optional(),
  }),
  z.object({ kind: z.literal("hour_of_day"), source }),
  z.object({ kind: z.literal("day_of_week"), source }),
  z.object({ kind: z.literal("is_weekend"), source }),
  z.object({ kind: z.literal("is_night"), source }),
  /** `a − b` of two features (request fields, view features or other request features). */
  z.object({ kind: z.literal("difference"), a: source, b: source }),
  /** `numerator / denominator`, 0 when the denominator is 0. */
  z.object({ kind: z.literal("ratio"), numerator: source, denominator: source }),
  /** `(value − mean) / std`, 0 when `std` is 0. */
  z.object({ kind: z.literal("zscore"), value: source, mean: source, std: source }),
]);
/** A declarative transform. */
export type TransformSpec = z.infer<typeof TransformSpecSchema>;
/** The names of the transform kinds. */
export type TransformKind = TransformSpec["kind"];

/** The operands (feature or raw field names) a transform reads. */
export function transformOperands(spec: TransformSpec): string[] {
  switch (spec.kind) {
    case "difference":
      return [spec.a, spec.b];
    case "ratio":
      return [spec.numerator, spec.denominator];
    case "zscore":
      return [spec.value, spec.mean, spec.std];
    default:
      return [spec.source];
  }
}
