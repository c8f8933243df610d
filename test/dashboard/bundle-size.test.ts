import { describe, expect, it } from "vitest";
import { DASHBOARD_FIRST_SCREEN_BUDGET_BYTES, getDashboardBuild } from "../../src/dashboard/build.js";

/** The dashboard's first screen stays small, and the SPA fetches nothing from elsewhere. */
describe("the dashboard bundle", () => {
  it("keeps the first screen (page + CSS + JS) within its gzip budget, with no external URL", async () => {
    const build = await getDashboardBuild();
    // The entry's statically imported chunks load with it: they count. Lazy ones (uPlot) do not.
    const total = build.html.gzip.length + build.css.gzip.length + build.js.gzip.length + build.shared.reduce((n, c) => n + c.gzip.length, 0);
    expect(total).toBeLessThanOrEqual(DASHBOARD_FIRST_SCREEN_BUDGET_BYTES);
    expect(build.html.raw.toString()).toContain(build.js.path);
    expect(build.html.raw.toString()).toContain(build.css.path);
    // No fonts, CDNs or remote images: the page and the stylesheet name nothing remote. (The
    // script holds URLs only as text: a library's error help link, the sign-up form's example.)
    expect(build.html.raw.toString()).not.toMatch(/(src|href)="https?:/);
    expect(build.css.raw.toString()).not.toMatch(/@import|url\(\s*["']?https?:/);
    expect(build.js.raw.toString()).not.toMatch(/fetch\(\s*["'`]https?:/);
  });

  it("leaves the charts' library (uPlot) out of the first screen: it is a lazy chunk", async () => {
    const build = await getDashboardBuild();
    const first = [build.js, ...build.shared].map((a) => a.raw.toString()).join("");
    expect(first).not.toContain("u-legend");
    expect(build.lazy.some((c) => c.raw.toString().includes("u-legend"))).toBe(true);
    for (const c of build.shared) expect(build.html.raw.toString()).toContain(`<link rel="modulepreload" href="${c.path}">`);
  });
});
