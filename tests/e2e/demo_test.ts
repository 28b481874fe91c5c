/**
 * `deno task demo` (the fraud example) end to end: see `_demo_task.ts` for
 * the checks every use case passes; here, what is particular to fraud: the
 * reference's sample events and requests, one entity type (user).
 */
import assert from "node:assert/strict";
import { loadDemoEvents } from "../../pipeline/examples/fraud/training.ts";
import { assertDemoRun, runDemoTask } from "./_demo_task.ts";

Deno.test("deno task demo ingests from three streams, promotes a champion and serves it", async () => {
  const run = await runDemoTask();
  const champion = assertDemoRun(run);
  const s = run.summary;
  assert.equal(s.example, "fraud");

  const sample = await loadDemoEvents();
  const ingest = s.ingest!;
  assert.equal(ingest.expected.accepted, sample.length);
  assert.equal(ingest.storedEvents, sample.length);
  const users = new Set(sample.map((e) => e.user_id)).size;
  assert.deepEqual(ingest.online.entities, { user: users });
  assert.ok(ingest.online.compared >= users);

  const serving = s.serving!;
  assert.ok(serving.samples.length >= 2);
  for (const r of serving.byEntity) assert.ok(r.checked!.user > 0, r.name);
  for (const r of [...serving.samples, ...serving.byEntity]) {
    assert.equal(r.model_version, champion, r.name);
  }
  for (const run of [serving.sequential, serving.concurrent]) {
    assert.deepEqual(run.versions, { [champion]: run.requests });
  }
});
