/**
 * Feature assembly at the edge: the one row assembler of the platform
 * (`pipeline/features/row.ts`) compiled once per model, the entity ids a
 * request gives each view the model reads, and the one error an assembly
 * turns into. Never fills a missing feature silently.
 *
 * @module
 */
import {
  type Assembled,
  entityIdOf,
  type FeatureView,
  RowAssembler,
} from "../pipeline/features/mod.ts";
import { manifestRowModel } from "../pipeline/definitions/manifest.ts";
import type { FieldIssue } from "../schemas/errors.ts";
import type { ModelManifest } from "../schemas/manifest.ts";
import { EdgeError } from "./errors.ts";

export type { Assembled };

/** A raw feature value of a request. */
export type FeatureValue = number | string | boolean | null;

const assemblers = new WeakMap<ModelManifest, RowAssembler>();

/** The row assembler of a model (compiled once per manifest). */
export function rowsOf(manifest: ModelManifest): RowAssembler {
  let rows = assemblers.get(manifest);
  if (!rows) {
    rows = new RowAssembler(manifestRowModel(manifest));
    assemblers.set(manifest, rows);
  }
  return rows;
}

/** Where an instance's entity ids come from. */
export interface EntitySource {
  /** The request's `entities` (key field → id). */
  entities?: Readonly<Record<string, string>>;
  /** The reference's single `entity_id`. */
  entityId?: string;
  /** The instance's features (they may carry key fields such as `user_id`). */
  features: Readonly<Record<string, FeatureValue>>;
}

/**
 * The entity id of each view, or `undefined` when the request does not give
 * it: from `entities`, else from key fields among the features, else (for a
 * model whose views all share one single-key entity type) `entity_id`.
 */
export function entityIdsOf(
  views: readonly FeatureView[],
  src: EntitySource,
): (string | undefined)[] {
  const single = views.length > 0 &&
    views.every((v) => v.entity === views[0].entity && v.keys.length === 1);
  return views.map((v) =>
    (src.entities ? entityIdOf(v.keys, src.entities) : undefined) ??
      entityIdOf(v.keys, src.features) ??
      (single ? src.entityId : undefined)
  );
}

/** The key fields a request must give to look up `views` whose id is missing. */
export function missingKeys(views: readonly FeatureView[], ids: readonly (string | undefined)[]) {
  const keys = new Set<string>();
  views.forEach((v, i) => {
    if (ids[i] === undefined) { for (const k of v.keys) keys.add(k); }
  });
  return [...keys];
}

/**
 * Throws the one error of an assembly: 503 when online features were needed
 * but unavailable, else 422 naming every missing or invalid field.
 */
export function checkAssembled(
  assembled: Assembled[],
  lacking: readonly string[][],
  prefix: (i: number) => string,
  onlineFailed: boolean,
): void {
  const details: FieldIssue[] = [];
  const bad: number[] = [];
  const missingAll = new Set<string>();
  assembled.forEach((a, i) => {
    if (a.missing.length === 0 && a.issues.length === 0) return;
    bad.push(i);
    details.push(...a.issues);
    for (const m of a.missing) {
      missingAll.add(m);
      details.push({
        path: `${prefix(i)}.${m}`,
        message: lacking[i].length > 0
          ? `Missing: not in the request, and no entity id to look up online features ` +
            `(give entities.${lacking[i].join(", entities.")})`
          : "Missing: neither in the request nor in the online features",
      });
    }
  });
  if (details.length === 0) return;
  if (onlineFailed && missingAll.size > 0) {
    throw new EdgeError(
      "online_store_unavailable",
      `Online features unavailable and the request lacks: ${[...missingAll].join(", ")}`,
      { details, headers: { "Retry-After": "1" } },
    );
  }
  const batch = assembled.length > 1 || prefix(0) !== "features";
  const message = batch
    ? `Invalid instances: ${bad.join(", ")}`
    : missingAll.size > 0
    ? `Missing features: ${[...missingAll].join(", ")}`
    : `Invalid features: ${details.map((d) => d.path).join(", ")}`;
  throw new EdgeError(
    missingAll.size > 0 && !batch ? "missing_features" : "validation_failed",
    message,
    { details },
  );
}

/** A usable id: a non-empty string or a finite number as text. */
export function stringOrUndefined(v: FeatureValue | undefined): string | undefined {
  if (typeof v === "string" && v !== "") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return undefined;
}
