/**
 * Runs `deno task demo` (the real entry, as a subprocess, on the services
 * `deno task test` started) and checks what it reports against what the
 * demo produced: every event counted once, every invalid message a dead
 * letter, Redis equal to Postgres, a champion chosen in MLflow and served
 * by the edge, and predictions returned over HTTP.
 */
import assert from "node:assert/strict";
import type { DemoSummary } from "./demo/mod.ts";
import { loadDemoEvents } from "../../pipeline/examples/fraud/training.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function runDemoTask(): Promise<{ code: number; output: string; summary: DemoSummary }> {
  const file = await Deno.makeTempFile({ prefix: "demo-summary-", suffix: ".json" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "tests/e2e/demo.ts", "--summary-json", file],
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

Deno.test("deno task demo ingests from three streams, promotes a champion and serves it", async () => {
  const { code, output, summary: s } = await runDemoTask();
  const failed = s.steps.filter((st) => !st.ok).map((st) => `${st.name}: ${st.error}`);
  assert.deepEqual(failed, [], output.slice(-3000));
  assert.equal(code, 0, output.slice(-3000));
  assert.equal(s.ok, true);

  // Ingestion: every sample event exactly once, duplicates recognised, invalid ones dead-lettered.
  const sample = await loadDemoEvents();
  const ingest = s.ingest!;
  assert.deepEqual(ingest.totals, ingest.expected);
  assert.equal(ingest.expected.accepted, sample.length);
  assert.ok(ingest.expected.duplicate > 0);
  assert.ok(ingest.expected.dead_lettered > 0);
  assert.equal(ingest.storedEvents, sample.length);
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
  const users = new Set(sample.map((e) => e.user_id)).size;
  assert.equal(ingest.online.users, users);
  assert.deepEqual(ingest.online.mismatches, []);
  assert.ok(ingest.online.compared >= users);

  // Training, evaluation, promotion: the served champion is the one MLflow names.
  const training = s.training!;
  assert.equal(training.train.rows + training.holdout.rows, sample.length);
  assert.deepEqual(training.candidates.map((c) => c.version), ["1", "2"]);
  const evaluation = s.evaluation!;
  const champion = evaluation.aliasesAfter!.champion;
  assert.equal(champion, evaluation.promote ? evaluation.challenger.version : "1");
  assert.equal(evaluation.pointer!.champion, champion);
  assert.equal(s.serving!.readyBefore, "1");
  assert.equal(s.serving!.readyVersion, champion);
  // The edge kept answering while the champion changed under it.
  const during = s.serving!.duringPromotion;
  assert.equal(during.failed, 0, JSON.stringify(during));
  assert.ok((during.served[`${champion}/champion`] ?? 0) > 0, JSON.stringify(during.served));

  // Predictions over HTTP: the reference's requests and by-entity requests, all from the champion.
  const serving = s.serving!;
  assert.ok(serving.samples.length >= 2);
  for (const r of [...serving.samples, ...serving.byEntity]) {
    assert.equal(r.status, 200, `${r.name}: ${r.error}`);
    assert.equal(r.model_version, champion);
    assert.ok(r.prediction === 0 || r.prediction === 1);
    assert.ok(r.probability! >= 0 && r.probability! <= 1);
  }
  assert.ok(serving.byEntity.every((r) => r.features_as_of !== null), "online features used");
  // A new event on each stream reached Redis and then the edge's answers.
  assert.deepEqual(Object.keys(serving.freshness).sort(), ["kafka", "kinesis", "pubsub"]);
  for (const run of [serving.sequential, serving.concurrent]) {
    assert.equal(run.failed, 0, JSON.stringify(run.errors));
    assert.deepEqual(run.versions, { [champion]: run.requests });
  }
  assert.deepEqual(s.workerExitCodes, { kafka: 0, kinesis: 0, pubsub: 0 });
  assert.match(output, /Total: \d+\.\d s/);
});
