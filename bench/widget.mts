/**
 * The widget's time to interactive: from navigation to the bank-selection screen being usable
 * (the search input focusable and the banks rendered), for the widget opened full page with a
 * sandbox public key — the page, its CSS and script, `POST /api/sessions`, `GET /api/banks` and
 * the render — in Chromium with a cold cache, on the real widget origin and embedded database.
 *
 * Against a baseline measured in the same run: the same load without throttling. The target is
 * "slow 3G" as Chrome's DevTools defines it (CDP `Network.emulateNetworkConditions`: 400 ms
 * latency, 400 kbps ≈ 50,000 bytes/s down and up) plus a 4× CPU slowdown (a cheap phone).
 * BENCH_WIDGET_RUNS (default 3) runs each; the median is printed. Also printed: the first
 * screen's gzipped bytes (what the budget test holds to 30 KB) and the bytes actually sent.
 */
import type { AddressInfo } from "node:net";
import { bootStorage } from "../src/boot.js";
import { loadConfig } from "../src/config.js";
import { systemClock } from "../src/lib/clock.js";
import { createCompany } from "../src/platform/companies.js";
import { buildWidgetApp } from "../src/widget-app.js";
import { getWidgetBuild } from "../src/widget/build.js";
import { browserRequired, chromiumPath, launch } from "../test/browser/chromium.js";

const RUNS = Number(process.env.BENCH_WIDGET_RUNS ?? 3);
const SLOW_3G = { offline: false, latency: 400, downloadThroughput: 50_000, uploadThroughput: 50_000 };
const CPU_SLOWDOWN = 4;

/** Runs in the page before its own scripts: notes when the bank list is first usable. */
const READY_PROBE = `(() => {
  const check = () => {
    if (window.__okroReady) return;
    const input = document.getElementById("bank-search");
    const bank = document.querySelector(".list button:not([disabled])");
    if (input && bank && !input.disabled && input.getClientRects().length > 0) window.__okroReady = performance.now();
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
})();`;

interface Run {
  ms: number;
  /** Bytes on the wire for everything the page fetched. */
  transferred: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export async function benchWidget(): Promise<boolean> {
  if (!chromiumPath) {
    console.log("\nWidget: SKIPPED (no Chromium; install it with `apt-get install -y chromium`)");
    return !browserRequired;
  }
  const { handle, ctx } = await bootStorage(loadConfig({ LOG_LEVEL: "silent", OKRO_SEED_DEMO: "false" }), systemClock, { embeddedInMemory: true });
  const tenant = await ctx.db.transaction().execute((trx) => createCompany(trx, { name: "Bench Store" }, new Date()));
  const widget = await buildWidgetApp(ctx, { logger: false });
  await widget.listen({ port: 0, host: "127.0.0.1" });
  const base = `http://127.0.0.1:${(widget.server.address() as AddressInfo).port}`;
  const url = `${base}/?key=${encodeURIComponent(tenant.sandbox.public_key)}&env=production-sandbox&products=auth,balance,transactions`;
  const browser = await launch();
  let ok = true;

  async function once(throttled: boolean): Promise<Run | null> {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    try {
      await page.addInitScript(READY_PROBE);
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
      let transferred = 0;
      cdp.on("Network.loadingFinished", (e: { encodedDataLength: number }) => {
        transferred += e.encodedDataLength;
      });
      if (throttled) {
        await cdp.send("Network.emulateNetworkConditions", SLOW_3G);
        await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_SLOWDOWN });
      }
      await page.goto(url, { waitUntil: "commit" });
      // Polled from here (page.evaluate goes through CDP): the page's CSP rightly forbids the
      // string evaluation waitForFunction would do inside it.
      const deadline = Date.now() + 60_000;
      for (;;) {
        const ms = (await page.evaluate("window.__okroReady")) as number | undefined;
        if (typeof ms === "number") return { ms, transferred };
        if (Date.now() > deadline) throw new Error("the bank list never became interactive");
        await new Promise((r) => setTimeout(r, 50));
      }
    } catch (error) {
      console.error(`widget bench run failed (${throttled ? "slow 3G" : "baseline"}):`, error);
      ok = false;
      return null;
    } finally {
      await context.close();
    }
  }

  const results: { name: string; runs: Run[] }[] = [
    { name: "baseline (no throttling)", runs: [] },
    { name: `slow 3G (400 ms RTT, 400 kbps) + CPU ×${CPU_SLOWDOWN}`, runs: [] },
  ];
  try {
    await once(false); // warm-up: JIT, the database's first queries
    for (let i = 0; i < RUNS; i++) {
      for (const [j, throttled] of [false, true].entries()) {
        const run = await once(throttled);
        if (run) results[j]!.runs.push(run);
      }
    }
  } finally {
    await browser.close();
    await widget.close();
    await handle.close();
  }

  const build = await getWidgetBuild();
  const gz = { html: build.html.page.gzip.length, css: build.css.gzip.length, js: build.js.gzip.length };
  console.log(`\nWidget: navigation → bank list interactive, full page, cold cache, 360×740, Chromium (${RUNS} runs, median)\n`);
  console.log("target".padEnd(48) + "median ms".padStart(10) + "min ms".padStart(9) + "max ms".padStart(9) + "  vs baseline" + "  bytes sent");
  const baseMs = median(results[0]!.runs.map((r) => r.ms));
  for (const r of results) {
    const times = r.runs.map((x) => x.ms);
    const m = median(times);
    console.log(
      r.name.padEnd(48) +
        m.toFixed(0).padStart(10) +
        Math.min(...times).toFixed(0).padStart(9) +
        Math.max(...times).toFixed(0).padStart(9) +
        `×${(m / baseMs).toFixed(1)}`.padStart(13) +
        String(median(r.runs.map((x) => x.transferred))).padStart(12),
    );
  }
  console.log(
    `\nfirst screen gzipped: ${gz.html + gz.css + gz.js} B (html ${gz.html}, css ${gz.css}, js ${gz.js}) of a 30720 B budget; ` +
      `brotli ${build.html.page.br.length + build.css.br.length + build.js.br.length} B`,
  );
  return ok && results.every((r) => r.runs.length === RUNS);
}
