/**
 * `/docs` (Swagger UI served by the edge from the npm package) renders in
 * headless Chromium without any outside request, and a real `/predict`
 * sent from the page with the demo example gets a 200.
 */
import assert from "node:assert/strict";
import { openBrowser } from "./_browser.ts";
import { startEdgeServer } from "./edge_server.ts";

Deno.test("GET /docs sends a real /predict from the page and shows the 200", async () => {
  await using edge = await startEdgeServer();
  await using b = await openBrowser(edge.base);
  const { page } = b;
  await page.goto(`${edge.base}/docs`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  const op = page.locator("#operations-predict-post_predict");
  await op.locator(".opblock-summary").first().click();
  await op.locator(".try-out__btn").click();
  await op.evaluate((e) => e.scrollIntoView({ block: "start" }));
  await b.screenshot("docs-try");
  // The body editor holds the first demo example (the reference's fraud request).
  const body = await op.locator("textarea.body-param__text").inputValue();
  assert.equal(JSON.parse(body).features.merchant_category_encoded, 63);
  const answer = page.waitForResponse((r) =>
    r.url() === `${edge.base}/predict` && r.request().method() === "POST"
  );
  await op.locator("button.execute").click();
  const res = await answer;
  assert.equal(res.status(), 200);
  assert.equal((await res.json()).model_name, "fraud_detector");
  const status = op.locator(".live-responses-table tr.response .response-col_status").first();
  await status.waitFor({ timeout: 15_000 });
  assert.equal((await status.innerText()).trim(), "200");
  await page.locator(".responses-inner h4", { hasText: "Server response" }).first()
    .evaluate((e) => e.scrollIntoView({ block: "start" }));
  await b.screenshot("docs");
  assert.deepEqual(b.foreign, []);
  assert.deepEqual(b.errors, []);
});
