/**
 * The registry half of the demo: publishing through the sync worker (each
 * version validated, then content-addressed blobs and the model pointer in
 * Redis through the Upstash gateway), and evaluate-and-promote through the
 * real `deno task model:evaluate` command.
 *
 * @module
 */
import { createSyncService, resolveRegistryConfig } from "../../../registry/mod.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;

/** The pointer as the demo reports it. */
export interface PublishedPointer {
  revision: number;
  champion: string;
  challenger: string | null;
  traffic: string;
  /** Versions the validation refused, with why. */
  refused: string[];
  /** When the pointer last moved (epoch ms). */
  updatedAtMs: number;
}

/** Syncs `model` once from MLflow to Redis (validation first); throws when nothing is published. */
export async function publish(
  env: Record<string, string>,
  model: string,
): Promise<PublishedPointer> {
  const service = createSyncService(resolveRegistryConfig(env), { log: () => {} });
  const outcome = await service.worker.sync(model, "demo");
  const refused = outcome.refused.map((r) => `v${r.version} ${r.reason}: ${r.message ?? ""}`);
  const p = outcome.pointer;
  if (!p) {
    throw new Error(
      `No pointer published for '${model}'${refused.length ? `: ${refused.join("; ")}` : ""}`,
    );
  }
  return {
    revision: p.revision,
    champion: p.champion.version,
    challenger: p.challenger?.version ?? null,
    traffic: p.traffic.mode === "single"
      ? "single"
      : `${p.traffic.mode} ${p.traffic.challenger_percent} %`,
    refused,
    updatedAtMs: Date.parse(p.updated_at),
  };
}

/** Scores of one model on the held-out set. */
export interface HeldOutScores {
  version: string;
  pr_auc: number;
  roc_auc: number;
  recall_at_precision: number;
}

/** What `model:evaluate` decided, and where the aliases and pointer ended. */
export interface EvaluationOutcome {
  rows: number;
  positives: number;
  champion: HeldOutScores;
  challenger: HeldOutScores;
  promote: boolean;
  reasons: string[];
  /** The command's last line. */
  decision: string;
  aliasesAfter?: Record<string, string>;
  pointer?: PublishedPointer;
}

/**
 * Runs `deno run -A registry/cli/evaluate.ts --model <model> --data <holdout>
 * --label label` (what `deno task model:evaluate` runs) and parses its JSON.
 */
export async function runEvaluate(
  env: Record<string, string>,
  model: string,
  holdoutPath: string,
): Promise<EvaluationOutcome> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "registry/cli/evaluate.ts",
      "--model",
      model,
      "--data",
      holdoutPath,
      "--label",
      "label",
    ],
    cwd: ROOT,
    env: { ...env, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.code !== 0) {
    throw new Error(
      `model:evaluate exited with ${out.code}: ${(stderr || stdout).trim().slice(-800)}`,
    );
  }
  const lines = stdout.trimEnd().split("\n");
  const decision = lines.at(-1) ?? "";
  try {
    const result = JSON.parse(lines.slice(0, -1).join("\n"));
    return { ...result, decision };
  } catch {
    throw new Error(`Cannot read the result of model:evaluate: ${stdout.slice(0, 400)}`);
  }
}
