/**
 * What the console's buttons do: the model commands through the platform's
 * {@linkcode ModelControl} (`registry/operations.ts`, the code `deno task
 * model:*` and `/admin/models` run; its errors keep their code and the
 * status `/admin/models` gives them) and the replay of fixed dead letters
 * through the feature pipeline.
 *
 * @module
 */
import type { z } from "zod";
import type {
  CanaryBodySchema,
  PromoteBodySchema,
  RollbackBodySchema,
} from "../../registry/admin_api.ts";
import type { ModelControl, OperationResult } from "../../registry/mod.ts";
import type { ReplayBodySchema, ReplayResultSchema } from "./api.ts";
import { type ConsoleDeps, decodeBase64 } from "./data.ts";

/** Promotes (`deno task model:promote`). */
export function promote(
  d: { models: ModelControl },
  name: string,
  body: z.infer<typeof PromoteBodySchema>,
): Promise<OperationResult> {
  return d.models.promote(name, body);
}

/** Rolls back (`deno task model:rollback`). */
export function rollback(
  d: { models: ModelControl },
  name: string,
  body: z.infer<typeof RollbackBodySchema>,
): Promise<OperationResult> {
  return d.models.rollback(name, { reason: `console: ${body.reason ?? "requested"}` });
}

/** Starts a canary or shadow (`deno task model:canary`). */
export function canary(
  d: { models: ModelControl },
  name: string,
  body: z.infer<typeof CanaryBodySchema>,
): Promise<OperationResult> {
  return d.models.canary(name, body);
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
    const reason = await d.pipeline.validate(payload, row.source);
    if (reason) {
      results.push({ id: item.id, status: "invalid", reason });
      continue;
    }
    const source = d.pipeline.repository.source(row.source ?? "") ??
      d.pipeline.repository.defaultSource;
    const eventId = String((JSON.parse(payload) as Record<string, unknown>)[source.eventId]);
    const out = await d.pipeline.processBatch([{
      payload,
      source: source.name,
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
