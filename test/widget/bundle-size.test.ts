import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { getWidgetBuild } from "../../src/widget/build.js";

/**
 * The widget's first screen must arrive fast on a slow phone network: what it loads (the page,
 * its stylesheet and its script: the app has no lazy chunks, so the first screen is all of it)
 * stays within 30 KB gzipped. Measured here by gzipping what the build produces, at the level
 * the server serves it.
 */
const FIRST_SCREEN_BUDGET_BYTES = 30 * 1024;

describe("the widget bundle", () => {
  it("keeps the first screen (page + CSS + JS) within 30 KB gzipped", async () => {
    const build = await getWidgetBuild();
    const parts = { html: build.html.page.raw, css: build.css.raw, js: build.js.raw };
    const gz = Object.fromEntries(Object.entries(parts).map(([k, raw]) => [k, gzipSync(raw, { level: 9 }).length])) as Record<keyof typeof parts, number>;
    const total = gz.html + gz.css + gz.js;
    console.log(
      `widget first screen: js ${parts.js.length} B (${gz.js} B gz), css ${parts.css.length} B (${gz.css} B gz), ` +
        `html ${parts.html.length} B (${gz.html} B gz): ${total} B gzipped of ${FIRST_SCREEN_BUDGET_BYTES}; loader ${build.loader.raw.length} B (${build.loader.gzip.length} B gz)`,
    );
    expect(total).toBeLessThanOrEqual(FIRST_SCREEN_BUDGET_BYTES);
    // The served variants are what was measured.
    expect(build.js.gzip.length).toBe(gz.js);
    // The page links exactly these two assets.
    expect(build.html.page.raw.toString()).toContain(build.js.path);
    expect(build.html.page.raw.toString()).toContain(build.css.path);
  });

  it("builds in memory quickly, with no external URL in the app", async () => {
    const build = await getWidgetBuild();
    expect(build.buildMs).toBeLessThan(5_000);
    const app = build.js.raw.toString() + build.css.raw.toString();
    // No fonts, CDNs or remote images: every http(s) URL in the bundle would be a remote fetch.
    // (www.w3.org appears only as XML namespace names, which are never fetched.)
    const urls = (app.match(/https?:\/\/[a-z0-9.-]+\.[a-z]{2,}/gi) ?? []).filter((u) => u !== "http://www.w3.org");
    expect(urls).toEqual([]);
    expect(app).not.toMatch(/@import|url\(\s*["']?https?:/);
  });
});
