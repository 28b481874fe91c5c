/**
 * A model manifest's feature views and row model, in one place for every
 * reader (the edge, evaluation, validation): the views come from the
 * manifest's `feature_views` definitions, or, for manifests written before
 * those existed (`feature_view` names only), from the shipped example that
 * defines that view version.
 *
 * @module
 */
import type { ModelManifest } from "../../schemas/manifest.ts";
import { compileView, type FeatureView, type RowModel } from "../features/mod.ts";
import { DefinitionError } from "../errors.ts";
import { EXAMPLES, loadExample } from "./load.ts";
import type { FeatureRepository } from "./repository.ts";

const views = new WeakMap<ModelManifest, FeatureView[]>();
const models = new WeakMap<ModelManifest, RowModel>();

/** The feature views a manifest's inputs read; throws a `DefinitionError` naming an unknown one. */
export function manifestViews(manifest: ModelManifest): FeatureView[] {
  let out = views.get(manifest);
  if (out) return out;
  if (manifest.feature_views) {
    out = manifest.feature_views.map((e) => compileView(e.view, e.entity));
  } else if (manifest.feature_view) {
    const ref = manifest.feature_view;
    const found = Object.keys(EXAMPLES).map((n) => loadExample(n).view(ref.name))
      .find((v) => v !== undefined && v.version === ref.version);
    if (!found) {
      throw new DefinitionError(
        `Cannot resolve feature view '${ref.name}' v${ref.version} of model '${manifest.name}' ` +
          `v${manifest.version}: the manifest has no definition and no example defines it`,
      );
    }
    out = [found];
  } else out = [];
  views.set(manifest, out);
  return out;
}

/**
 * The repository that defines the view a format-1 manifest names (`feature_view`),
 * or `undefined` (a manifest with `feature_views` carries its own definitions).
 */
export function legacyRepository(manifest: ModelManifest): FeatureRepository | undefined {
  const ref = manifest.feature_view;
  if (manifest.feature_views || !ref) return undefined;
  return Object.keys(EXAMPLES).map((n) => loadExample(n))
    .find((r) => r.view(ref.name)?.version === ref.version);
}

/**
 * What the row assembler needs of a manifest. Manifests of format 1 (before
 * dtypes) declare every input `float32`; for them a JSON boolean still
 * reads as 0/1, as the reference's clients send `"is_weekend": false`.
 */
export function manifestRowModel(manifest: ModelManifest): RowModel {
  let m = models.get(manifest);
  if (m) return m;
  m = {
    inputs: manifest.inputs,
    requestFeatures: manifest.request_features,
    views: manifestViews(manifest),
    outOfRange: manifest.out_of_range,
    booleansAsNumbers: manifest.format_version === 1,
    acceptedFields: manifest.accepted_fields,
  };
  models.set(manifest, m);
  return m;
}
