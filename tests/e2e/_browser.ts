/**
 * Headless Chromium (Debian `chromium`, installed by `.ci/run`) through
 * playwright-core, with a fresh profile per launch and no background
 * traffic. `RTML_SCREENSHOTS=<dir>` makes {@linkcode Browser.screenshot}
 * write PNGs there (the README's pictures come from it).
 *
 * @module
 */
import { chromium, type Page } from "playwright-core";

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

/** A launched browser with one page that records page errors and requests leaving `base`. */
export interface Browser {
  page: Page;
  /** Uncaught page errors and console errors so far. */
  errors: string[];
  /** Requests to anything but `base`. */
  foreign: string[];
  /** Writes `<RTML_SCREENSHOTS>/<name>.png` when that env var is set. */
  screenshot(name: string): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Launches Chromium with a fresh `--user-data-dir` and opens one page. */
export async function openBrowser(base: string): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "rtml-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? await context.newPage();
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("request", (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith("data:")) foreign.push(r.url());
  });
  const dir = Deno.env.get("RTML_SCREENSHOTS");
  return {
    page,
    errors,
    foreign,
    async screenshot(name) {
      if (!dir) return;
      await Deno.mkdir(dir, { recursive: true });
      await page.screenshot({ path: `${dir}/${name}.png`, fullPage: false });
    },
    async [Symbol.asyncDispose]() {
      await context.close();
      await Deno.remove(profile, { recursive: true });
    },
  };
}
