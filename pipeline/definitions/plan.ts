/**
 * `features:plan` and `features:apply`: what differs between a feature
 * repository and what the store has applied, and applying it.
 *
 * | change      | when                                                            | destructive |
 * | ----------- | --------------------------------------------------------------- | ----------- |
 * | `create`    | a view version or a source the store has never seen              | no          |
 * | `unchanged` | same definition                                                 | no          |
 * | `update`    | a source whose schema or routing changed (stored events stay)    | no          |
 * | `retire`    | a stored view version the repository no longer defines           | no          |
 * | `drop`      | with `prune`: a retired version no registered model reads         | yes         |
 * | `rebuild`   | a view version whose definition changed without a new version     | yes         |
 *
 * A retired version keeps its tiles, so it stays readable while a model's
 * manifest references it. Applying refuses any destructive change without
 * `force`, naming it, and changes nothing then; a version a registered
 * model references is never rebuilt or dropped, even with `force`.
 *
 * @module
 */
import { canonicalDefinition, type FeatureView, stableStringify } from "../features/mod.ts";
import type { FeatureStore } from "../store/port.ts";
import { DefinitionError } from "../errors.ts";
import type { FeatureRepository } from "./repository.ts";
import { sha256Hex } from "../sha256.ts";

/** One difference between the repository and the store. */
export interface PlanChange {
  kind: "view" | "source";
  name: string;
  /** Version of a view. */
  version?: number;
  change: "create" | "unchanged" | "update" | "retire" | "drop" | "rebuild";
  destructive: boolean;
  /** What it means, in a sentence. */
  detail: string;
}

/** The differences, in a stable order (sources, then views). */
export interface Plan {
  repository: string;
  changes: PlanChange[];
}

/** Options of {@linkcode planRepository}. */
export interface PlanOptions {
  /** Views (`name@version`) that registered models read: never rebuilt nor dropped. */
  referenced?: ReadonlySet<string>;
  /** Also drop retired versions no model references. */
  prune?: boolean;
}

/** `name@version` of a view. */
export function viewRef(name: string, version: number): string {
  return `${name}@${version}`;
}

/** Compares the repository with the store (reads only). */
export async function planRepository(
  store: FeatureStore,
  repo: FeatureRepository,
  options: PlanOptions = {},
): Promise<Plan> {
  const referenced = options.referenced ?? new Set<string>();
  const changes: PlanChange[] = [];
  const sources = new Map((await store.listSources()).map((s) => [s.name, s]));
  for (const s of repo.sources) {
    const stored = sources.get(s.name);
    const hash = await sha256Hex(stableStringify(s));
    changes.push(
      !stored
        ? {
          kind: "source",
          name: s.name,
          change: "create",
          destructive: false,
          detail: "new source",
        }
        : stored.definitionHash === hash
        ? {
          kind: "source",
          name: s.name,
          change: "unchanged",
          destructive: false,
          detail: "same definition",
        }
        : {
          kind: "source",
          name: s.name,
          change: "update",
          destructive: false,
          detail:
            "schema or routing changed: new events are validated by the new schema, stored ones stay as accepted",
        },
    );
  }
  const views = await store.listViews();
  const stored = new Map(views.map((v) => [viewRef(v.name, v.version), v]));
  const defined = new Set(repo.views.map((v) => viewRef(v.name, v.version)));
  for (const v of repo.views) {
    const ref = viewRef(v.name, v.version);
    const row = stored.get(ref);
    const hash = await sha256Hex(canonicalDefinition(v));
    if (!row) {
      const older = views.filter((x) => x.name === v.name).map((x) => `v${x.version}`);
      changes.push({
        kind: "view",
        name: v.name,
        version: v.version,
        change: "create",
        destructive: false,
        detail: `new version: its tiles are backfilled from stored events` +
          (older.length > 0 ? ` (stored: ${older.join(", ")})` : ""),
      });
    } else if (row.definitionHash === hash) {
      changes.push({
        kind: "view",
        name: v.name,
        version: v.version,
        change: "unchanged",
        destructive: false,
        detail: row.retiredAt ? "same definition, back in the repository" : "same definition",
      });
    } else {
      changes.push({
        kind: "view",
        name: v.name,
        version: v.version,
        change: "rebuild",
        destructive: true,
        detail: referenced.has(ref)
          ? `definition changed without a new version, and a registered model reads v${v.version}: ` +
            `give the change a new version`
          : `definition changed without a new version: its tiles and online state would be rebuilt ` +
            `and its values change (give the change a new version, or apply with --force)`,
      });
    }
  }
  for (const row of views) {
    const ref = viewRef(row.name, row.version);
    if (defined.has(ref)) continue;
    const used = referenced.has(ref);
    if (options.prune && !used) {
      changes.push({
        kind: "view",
        name: row.name,
        version: row.version,
        change: "drop",
        destructive: true,
        detail: "no longer defined and no registered model reads it: its tiles are deleted",
      });
    } else if (!row.retiredAt) {
      changes.push({
        kind: "view",
        name: row.name,
        version: row.version,
        change: "retire",
        destructive: false,
        detail: used
          ? "no longer defined: kept readable, a registered model reads it"
          : "no longer defined: its tiles are kept (apply with --prune to delete them)",
      });
    }
  }
  return { repository: repo.name, changes };
}

/** What {@linkcode applyPlan} did. */
export interface ApplyResult {
  applied: PlanChange[];
  /** Tile rows written by backfills. */
  backfilledTiles: number;
  /** Views whose online state must be rebuilt (created or rebuilt ones). */
  rebuiltViews: FeatureView[];
}

/**
 * Applies a plan. Throws a `DefinitionError` naming every destructive change
 * when `force` is not set, and any change to a view a model reads that
 * would drop or rebuild it; nothing is changed then.
 */
export async function applyPlan(
  store: FeatureStore,
  repo: FeatureRepository,
  plan: Plan,
  options: { force?: boolean; referenced?: ReadonlySet<string> } = {},
): Promise<ApplyResult> {
  const referenced = options.referenced ?? new Set<string>();
  const blocked = plan.changes.filter((c) =>
    c.destructive && c.version !== undefined && referenced.has(viewRef(c.name, c.version))
  );
  const destructive = plan.changes.filter((c) => c.destructive);
  if (blocked.length > 0 || (destructive.length > 0 && !options.force)) {
    const list = (blocked.length > 0 ? blocked : destructive).map((c) => describe(c));
    throw new DefinitionError(
      `Cannot apply repository '${repo.name}': ${
        blocked.length > 0 ? "registered models read" : "destructive changes need --force"
      }: ${list.join("; ")}. Nothing was changed`,
      { details: list },
    );
  }
  const result: ApplyResult = { applied: [], backfilledTiles: 0, rebuiltViews: [] };
  for (const c of plan.changes) {
    if (c.change === "unchanged" && c.kind === "source") continue;
    if (c.kind === "source") {
      await store.registerSource(repo.source(c.name)!);
    } else if (c.change === "retire") {
      await store.retireView(c.name, c.version!);
    } else if (c.change === "drop") {
      await store.dropView(c.name, c.version!);
    } else {
      const view = repo.views.find((v) => v.name === c.name && v.version === c.version)!;
      if (c.change === "rebuild") await store.dropView(c.name, c.version!);
      const registered = await store.registerView(view);
      if (registered === "new") {
        result.backfilledTiles += await store.backfill(view);
        result.rebuiltViews.push(view);
      } else if (c.change === "unchanged") continue;
    }
    result.applied.push(c);
  }
  return result;
}

/** One change as a line: `view device_readings v2: create (new version ...)`. */
export function describe(c: PlanChange): string {
  const what = c.kind === "view" ? `view ${c.name} v${c.version}` : `source ${c.name}`;
  return `${what}: ${c.change}${c.destructive ? " (destructive)" : ""}: ${c.detail}`;
}
