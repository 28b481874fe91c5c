/**
 * Event features: the per-event inputs of a view, computed with the
 * manifest transforms, and the conversion of a validated event into what
 * the window aggregates read.
 *
 * @module
 */
import { applyTransform, type RawValue } from "./transforms.ts";
import type { FeatureView } from "./view.ts";
import type { WindowEvent } from "./window.ts";

/**
 * Computes the event features of `view` from a raw event or request. A
 * missing value uses the input's `default` when it has one; otherwise the
 * transform decides (for example `crc32_mod` with `missing`), and a value
 * it cannot read throws `TransformError`.
 */
export function computeEventFeatures(
  view: FeatureView,
  raw: Readonly<Record<string, unknown>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const input of view.eventFeatures) {
    const spec = input.transform;
    const source = spec?.source ?? input.name;
    const value = raw[source] as RawValue;
    if ((value === undefined || value === null) && input.default !== undefined) {
      out[input.name] = input.default;
    } else if (spec) {
      out[input.name] = applyTransform(spec, value);
    } else {
      out[input.name] = applyTransform({ kind: "identity", source }, value);
    }
  }
  return out;
}

/** What the window aggregates of `view` read from a validated event. */
export function toWindowEvent(
  view: FeatureView,
  event: Readonly<Record<string, unknown>>,
  timeMs: number,
): WindowEvent {
  const amount = event[view.valueField];
  const category = event[view.categoryField];
  return {
    timeMs,
    amount: typeof amount === "number" ? amount : 0,
    category: typeof category === "string" ? category : view.missingCategory,
  };
}
