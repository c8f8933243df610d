/**
 * The dashboard SPA's first screen: the page, its CSS and its script (with the chunks it imports statically), gzipped as served, against
 * DASHBOARD_FIRST_SCREEN_BUDGET_BYTES, and the in-memory esbuild time. (`BENCH_ONLY=dashboard-bundle`.)
 */
import { DASHBOARD_FIRST_SCREEN_BUDGET_BYTES, buildDashboard } from "../src/dashboard/build.js";

export async function benchDashboardBundle(): Promise<boolean> {
  const build = await buildDashboard();
  const sum = (key: "gzip" | "br" | "raw") => build.js[key].length + build.shared.reduce((n, c) => n + c[key].length, 0);
  const gz = { html: build.html.gzip.length, css: build.css.gzip.length, js: sum("gzip") };
  const total = gz.html + gz.css + gz.js;
  const lazy = build.lazy.reduce((n, c) => n + c.gzip.length, 0);
  console.log(
    `\nDashboard: first screen gzipped ${total} B (html ${gz.html}, css ${gz.css}, js ${gz.js}) of a ${DASHBOARD_FIRST_SCREEN_BUDGET_BYTES} B budget; ` +
      `brotli ${build.html.br.length + build.css.br.length + sum("br")} B; raw js ${sum("raw")} B; lazy chunks (charts) ${lazy} B gzipped, not in the first screen; built in ${build.buildMs} ms`,
  );
  return total <= DASHBOARD_FIRST_SCREEN_BUDGET_BYTES;
}
