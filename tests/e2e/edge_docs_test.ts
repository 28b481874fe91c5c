/**
 * `/docs` renders in headless Chromium (Debian `chromium`) from assets the
 * edge serves itself, and shows the `/predict` operation.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { startEdgeServer } from "./edge_server.ts";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

Deno.test("GET /docs renders the /predict operation in headless Chromium without external requests", async () => {
  await using edge = await startEdgeServer();
  const profile = await Deno.makeTempDir({ prefix: "edge-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
  });
  try {
    const page = await context.newPage();
    const foreign: string[] = [];
    const errors: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(edge.base)) foreign.push(r.url());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${edge.base}/docs`);
    await page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
    const op = page.locator('details.op[data-path="/predict"][data-method="POST"]');
    assert.equal(await op.count(), 1);
    assert.match(await op.locator("summary").innerText(), /POST\s+\/predict/);
    await op.locator("summary").click();
    assert.match(await op.innerText(), /features_used/);
    assert.ok(await page.locator('details.op[data-path="/v2/models/{name}/infer"]').count() === 1);
    assert.deepEqual(foreign, []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await Deno.remove(profile, { recursive: true });
  }
});
