/**
 * What the console's buttons do: the model commands through
 * `registry/operations.ts` (the functions `deno task model:*` runs) and the
 * replay of fixed dead letters through the feature pipeline.
 *
 * @module
 */
import { PlatformError } from "../../schemas/errors.ts";
import { promoteModel, rollbackModel, startCanary } from "../../registry/operations.ts";
import type { z } from "zod";
import type {
  CanaryBodySchema,
  PromoteBodySchema,
  ReplayBodySchema,
  ReplayResultSchema,
  RollbackBodySchema,
} from "./api.ts";
import { type ConsoleDeps, decodeBase64 } from "./data.ts";
import { ConsoleError } from "./errors.ts";

/** Turns registry errors into console errors with a status. */
async function translate<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ConsoleError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof PlatformError && /not_found$/.test(error.code)) {
      throw new ConsoleError("not_found", message, { cause: error });
    }
    if (error instanceof PlatformError && error.code === "registry_unavailable") throw error;
    // RolloutController refuses with plain errors ("no challenger alias", ...).
    throw new ConsoleError("refused", `Cannot ${what}: ${message}`, { cause: error });
  }
}

/** Promotes (`deno task model:promote`). */
export function promote(d: ConsoleDeps, name: string, body: z.infer<typeof PromoteBodySchema>) {
  return translate(`promote model '${name}'`, () => promoteModel(d.models, name, body.version));
}

/** Rolls back (`deno task model:rollback`). */
export function rollback(d: ConsoleDeps, name: string, body: z.infer<typeof RollbackBodySchema>) {
  return translate(
    `roll back model '${name}'`,
    () => rollbackModel(d.models, name, `console: ${body.reason ?? "requested"}`),
  );
}

/** Starts a canary or shadow (`deno task model:canary`). */
export async function canary(d: ConsoleDeps, name: string, body: z.infer<typeof CanaryBodySchema>) {
  const outcome = await translate(`start a canary of model '${name}'`, async () => {
    await d.registry.listVersions(name).then((vs) => {
      if (!vs.some((v) => v.version === body.version)) {
        throw new ConsoleError(
          "not_found",
          `Version not found for model '${name}': ${body.version}`,
        );
      }
    });
    return await startCanary(d.models, name, body.version, {
      percent: body.shadow ? undefined : body.percent,
      shadow: body.shadow,
    });
  });
  if (!outcome.ok) {
    throw new ConsoleError(
      "refused",
      `Version ${body.version} was refused: ${outcome.refused.join("; ")}`,
    );
  }
  return { challenger: outcome.challenger, traffic: outcome.traffic };
}

type ReplayResult = z.infer<typeof ReplayResultSchema>;

/**
 * Replays dead letters one by one: each payload (the fixed one, or the
 * stored one) is validated first and changes nothing when still invalid;
 * a valid one goes through `processBatch` and its dead letter is marked
 * replayed (kept, with the event id it became).
 */
export async function replay(d: ConsoleDeps, body: z.infer<typeof ReplayBodySchema>) {
  const ids = [...new Set(body.items.map((i) => i.id))];
  const rows = new Map((await d.featureStore.getDeadLetters(ids)).map((r) => [r.id, r]));
  const results: ReplayResult[] = [];
  for (const item of body.items) {
    const row = rows.get(item.id);
    if (!row) {
      results.push({ id: item.id, status: "not_found", reason: "No such dead letter" });
      continue;
    }
    if (row.meta.replayed_at) {
      results.push({
        id: item.id,
        status: "already_replayed",
        event_id: row.meta.replayed_event_id,
      });
      continue;
    }
    const payload = item.payload ?? decodeBase64(row.payloadBase64);
    const reason = d.pipeline.validate(payload);
    if (reason) {
      results.push({ id: item.id, status: "invalid", reason });
      continue;
    }
    const eventId = String((JSON.parse(payload) as { event_id?: unknown }).event_id);
    const out = await d.pipeline.processBatch([{
      payload,
      meta: { source: "console_replay", dead_letter_id: String(item.id) },
    }]);
    if (out.dead_lettered > 0) {
      results.push({ id: item.id, status: "invalid", reason: out.rejections[0]?.reason });
      continue;
    }
    // Marked at once, so a failure on a later item leaves this one recorded.
    await d.featureStore.markDeadLettersReplayed([{ id: item.id, eventId }], (d.now ?? Date.now)());
    results.push({
      id: item.id,
      status: out.accepted > 0 ? "replayed" : "duplicate",
      event_id: eventId,
    });
  }
  return { replayed: results.filter((r) => r.status === "replayed").length, results };
}
