/**
 * Runs `deno task demo` (the real entry, as a subprocess, on the services
 * `deno task test` started) and checks what every use case's summary must
 * show: every message counted once, every invalid one a dead letter with a
 * reason of its own, Redis equal to Postgres for every entity type, a
 * champion chosen in MLflow and served by the edge, by-entity answers whose
 * view features equal Postgres, and predictions over HTTP.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { DemoSummary } from "./demo/mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The demo's exit code, output and summary. */
export interface DemoRun {
  code: number;
  output: string;
  summary: DemoSummary;
}

/** Runs `tests/e2e/demo.ts` with `args` and reads its `--summary-json`. */
export async function runDemoTask(args: string[] = []): Promise<DemoRun> {
  const file = await Deno.makeTempFile({ prefix: "demo-summary-", suffix: ".json" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "tests/e2e/demo.ts", ...args, "--summary-json", file],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    const summary = JSON.parse(await Deno.readTextFile(file)) as DemoSummary;
    return { code: out.code, output, summary };
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

/** The checks common to every use case; returns the served champion's version. */
export function assertDemoRun({ code, output, summary: s }: DemoRun): string {
  const failed = s.steps.filter((st) => !st.ok).map((st) => `${st.name}: ${st.error}`);
  assert.deepEqual(failed, [], output.slice(-3000));
  assert.equal(code, 0, output.slice(-3000));
  assert.equal(s.ok, true);

  // Ingestion: every event exactly once, invalid ones dead-lettered with a reason each.
  const ingest = s.ingest!;
  assert.deepEqual(ingest.totals, ingest.expected);
  assert.equal(ingest.storedEvents, ingest.expected.accepted);
  assert.ok(ingest.expected.duplicate > 0);
  assert.ok(ingest.expected.dead_lettered > 0);
  for (const source of ["kafka", "kinesis", "pubsub"] as const) {
    assert.ok(ingest.perSource[source].accepted > 0, `${source} accepted nothing`);
    assert.equal(
      ingest.deadLetters.filter((d) => d.source === source).length,
      ingest.perSource[source].dead_lettered,
      `${source} dead letters in Postgres`,
    );
  }
  assert.equal(ingest.deadLetters.length, ingest.expected.dead_lettered);
  assert.equal(new Set(ingest.deadLetters.map((d) => d.reason)).size, ingest.deadLetters.length);
  assert.deepEqual(ingest.online.mismatches, []);
  const entities = Object.values(ingest.online.entities).reduce((a, b) => a + b, 0);
  assert.ok(ingest.online.compared >= entities);

  // Training, evaluation, promotion: the served champion is the one MLflow names.
  const training = s.training!;
  assert.equal(training.train.rows + training.holdout.rows, training.labelled);
  assert.ok(training.holdout.positives > 0, "held-out positives");
  assert.deepEqual(training.candidates.map((c) => c.version), ["1", "2"]);
  const evaluation = s.evaluation!;
  const champion = evaluation.aliasesAfter!.champion;
  assert.equal(champion, evaluation.promote ? evaluation.challenger.version : "1");
  assert.equal(evaluation.pointer!.champion, champion);
  assert.equal(s.serving!.readyBefore, "1");
  assert.equal(s.serving!.readyVersion, champion);
  // The edge kept answering while the champion changed (or stayed) under it.
  const during = s.serving!.duringPromotion;
  assert.equal(during.failed, 0, JSON.stringify(during));
  assert.ok((during.served[`${champion}/champion`] ?? 0) > 0, JSON.stringify(during.served));

  // By-entity answers: from the champion (or the challenger on its canary), with the view
  // features the edge read from Redis equal to Postgres at the request's time.
  const serving = s.serving!;
  const versionOf = { champion, challenger: evaluation.pointer!.challenger };
  for (const r of [...serving.samples, ...serving.byEntity]) {
    assert.equal(r.status, 200, `${r.name}: ${r.error}`);
    assert.equal(r.model_version, versionOf[r.variant as keyof typeof versionOf], r.name);
    assert.ok(r.prediction === 0 || r.prediction === 1);
    assert.ok(r.probability! >= 0 && r.probability! <= 1);
  }
  assert.ok(serving.byEntity.length > 0);
  for (const r of serving.byEntity) {
    assert.notEqual(r.features_as_of, null, `${r.name}: online features used`);
    assert.deepEqual(r.mismatches, [], r.name);
  }
  // A new event on each stream reached Redis and then the edge's answers.
  assert.deepEqual(Object.keys(serving.freshness).sort(), ["kafka", "kinesis", "pubsub"]);
  for (const run of [serving.sequential, serving.concurrent]) {
    assert.equal(run.failed, 0, JSON.stringify(run.errors));
    const served = Object.values(run.versions).reduce((a, b) => a + b, 0);
    assert.equal(served, run.requests);
    assert.ok((run.versions[champion] ?? 0) > 0, JSON.stringify(run.versions));
  }
  assert.deepEqual(s.workerExitCodes, { kafka: 0, kinesis: 0, pubsub: 0 });
  assert.match(output, /Total: \d+\.\d s/);
  return champion;
}
