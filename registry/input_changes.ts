/**
 * What changes for clients when the served version of a model changes: the
 * inputs one manifest has and the other lacks, and the inputs both have but
 * compute differently (dtype, transform, default, domain, ...). Promotion
 * and canary refuse such a change unless forced, naming it.
 *
 * @module
 */
import type { ModelManifest } from "../schemas/manifest.ts";

/** One input that differs between two manifests. */
export interface InputChange {
  input: string;
  change: "added" | "removed" | "changed";
  /** For `changed`: the manifest fields of the input that differ. */
  fields?: string[];
}

/**
 * The input changes from `from` (served now) to `to` (about to be served),
 * by input name (the edge assembles rows by name, so order alone is no
 * change); the feature view counts as a pseudo-input `feature_view`.
 */
export function compareInputs(from: ModelManifest, to: ModelManifest): InputChange[] {
  const before = new Map(from.inputs.map((i) => [i.name, i as Record<string, unknown>]));
  const after = new Map(to.inputs.map((i) => [i.name, i as Record<string, unknown>]));
  const changes: InputChange[] = [];
  for (const [name, input] of after) {
    const old = before.get(name);
    if (!old) {
      changes.push({ input: name, change: "added" });
      continue;
    }
    const keys = new Set([...Object.keys(old), ...Object.keys(input)]);
    const fields = [...keys].filter((k) => canonical(old[k]) !== canonical(input[k])).sort();
    if (fields.length > 0) changes.push({ input: name, change: "changed", fields });
  }
  for (const name of before.keys()) {
    if (!after.has(name)) changes.push({ input: name, change: "removed" });
  }
  if (canonical(from.feature_view) !== canonical(to.feature_view)) {
    changes.push({ input: "feature_view", change: "changed", fields: ["feature_view"] });
  }
  return changes;
}

/** One line naming the changes: `adds a, b; removes c; changes d (transform)`. */
export function describeInputChanges(changes: readonly InputChange[], most = 6): string {
  const list = (kind: InputChange["change"]) => {
    const items = changes.filter((c) => c.change === kind).map((c) =>
      c.fields && c.input !== "feature_view" ? `${c.input} (${c.fields.join(", ")})` : c.input
    );
    if (items.length <= most) return items.join(", ");
    return `${items.slice(0, most).join(", ")} and ${items.length - most} more`;
  };
  const parts = [
    ["adds", list("added")],
    ["removes", list("removed")],
    ["changes", list("changed")],
  ].filter(([, items]) => items !== "").map(([verb, items]) => `${verb} ${items}`);
  return parts.join("; ");
}

/** JSON with sorted keys, so two equal objects compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
        : v,
  ) ?? "undefined";
}
