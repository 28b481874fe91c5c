/**
 * The operator console end to end in headless Chromium, on the embedded
 * default (`openEmbedded`, the demo trained on first start): "canary 20 %"
 * sends about 20 % of `/predict` to the challenger, rollback restores the
 * champion, and a dead letter fixed in the page replays into the features.
 * With `RTML_SCREENSHOTS=<dir>` it writes the README's pictures.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { resolveEmbeddedConfig } from "../../deploy/embedded/config.ts";
import { openEmbedded } from "../../deploy/embedded/server.ts";
import { openBrowser } from "./_browser.ts";

async function predictVariants(base: string, prefix: string, n: number) {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${base}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        entity_id: `${prefix}_${i}`,
        features: {
          amount: 20 + (i % 50) * 7,
          merchant_category: "grocery",
          payment_method: "card",
        },
      }),
    });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    counts[body.variant] = (counts[body.variant] ?? 0) + 1;
  }
  return counts;
}

async function plotsDrawn(page: Page, selector: string) {
  const plots = page.locator(selector);
  await plots.first().waitFor();
  for (let i = 0; i < await plots.count(); i++) {
    await plots.nth(i).locator(".uplot").first().waitFor({ timeout: 20_000 });
  }
}

function textIn(page: Page, selector: string, text: RegExp) {
  return page.locator(selector).filter({ hasText: text }).waitFor({ timeout: 15_000 });
}

Deno.test({
  name: "console: canary 20 %, rollback and a fixed dead letter replayed, in headless Chromium",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "console-e2e-" });
    const platform = await openEmbedded(
      resolveEmbeddedConfig({ DATA_DIR: dataDir }),
      // A shared, busy machine can stall the loop past the default 50 ms online timeout.
      {
        EDGE_LOG_LEVEL: "silent",
        EDGE_PREDICTION_CACHE_TTL_MS: "0",
        EDGE_ONLINE_TIMEOUT_MS: "2000",
        // Likewise the sync's 50 ms p99 smoke budget, which refused the challenger once here.
        REGISTRY_VALIDATION_LATENCY_MS: "10000",
      },
    );
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, platform.fetch);
    const base = `http://127.0.0.1:${server.addr.port}`;
    try {
      await using b = await openBrowser(base);
      const { page } = b;
      const dialogs: string[] = [];
      page.on("dialog", (d) => {
        dialogs.push(d.message());
        d.accept();
      });

      // Canary 20 % from the model page.
      await page.goto(`${base}/console/models/fraud_detector`);
      await page.waitForSelector("body[data-ready=true]");
      await page.selectOption("form[data-action=canary] select[name=version]", "2");
      await page.fill("form[data-action=canary] input[name=percent]", "20");
      await page.click("#canary-button");
      await textIn(page, "#canary-state", /challenger v2 gets 20 %/);
      // Version 2 reads more inputs than version 1: the page asked first (the 409), then forced.
      assert.ok(
        dialogs.some((m) =>
          /inputs differ from champion version 1's[\s\S]*Go ahead anyway\?/.test(m)
        ),
        dialogs.join("\n"),
      );
      // The edge applies a route change within its 1 s poll.
      await new Promise((r) => setTimeout(r, 1500));
      const canary = await predictVariants(base, "canary_user", 600);
      const share = (canary.challenger ?? 0) / 600;
      assert.ok(
        share > 0.14 && share < 0.26,
        `challenger share ${share} (${JSON.stringify(canary)})`,
      );

      await page.goto(`${base}/console`);
      await plotsDrawn(page, "[data-plot]");
      await textIn(page, "#live", /challenger/);
      assert.match(await page.locator("#models .traffic").innerText(), /challenger v2 20 %/);
      await b.screenshot("console-overview");

      await page.goto(`${base}/console/models/fraud_detector`);
      await plotsDrawn(page, "[data-plot=drift]");
      await b.screenshot("console-model");

      // Rollback restores the champion.
      await page.click("#rollback-button");
      await textIn(page, "#canary-state", /Single: champion v1/);
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(await predictVariants(base, "after_rollback", 100), { champion: 100 });
      assert.equal((await platform.registry.getAliases("fraud_detector")).rolled_back, "2");

      // A dead letter, fixed in the page, replays into the features.
      const bad = {
        event_id: "console-e2e-1",
        user_id: "dl_user_1",
        amount: "12,50",
        timestamp: new Date().toISOString(),
        merchant_category: "grocery",
      };
      const ingest = await fetch(`${base}/ingest/events`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([bad]),
      });
      assert.equal((await ingest.json()).rejected, 1);
      await page.goto(`${base}/console/ingest`);
      await page.waitForSelector("body[data-ready=true]");
      const row = page.locator("#dead-letters tr[data-id]", { hasText: "console-e2e-1" });
      assert.match(await row.locator("td.reason").innerText(), /amount/);
      const fixed = JSON.stringify({ ...bad, amount: 12.5 });
      await row.locator("textarea").fill(fixed);
      await row.locator("input[name=replay]").check();
      await page.click("#replay-button");
      await page.waitForSelector("#dead-letters tr.replayed >> text=console-e2e-1", {
        timeout: 15_000,
      });
      await plotsDrawn(page, "[data-plot=ingest]");
      await b.screenshot("console-ingest");
      const online = await (await fetch(`${base}/features/user/dl_user_1/online`)).json();
      assert.equal(online.features.transaction_count_24h, 1);
      assert.equal(online.features.amount_sum_24h, 12.5);

      await page.goto(`${base}/console/features?entity=user&id=dl_user_1`);
      const count = page.locator("tr[data-feature=transaction_count_24h]");
      assert.match(await count.innerText(), /1\s+1/);
      await b.screenshot("console-features");
      assert.deepEqual(b.foreign, []);
      // The one 409 is the refused canary the page then confirmed; nothing else failed.
      assert.deepEqual(b.errors.filter((e) => !/status of 409/.test(e)), []);
      assert.equal(b.errors.length, 1, b.errors.join("\n"));
    } finally {
      await server.shutdown();
      await platform.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
