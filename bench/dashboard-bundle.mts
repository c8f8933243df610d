/**
 * The dashboard SPA's first screen: the page, its CSS and its script, gzipped as served, against
 * DASHBOARD_FIRST_SCREEN_BUDGET_BYTES, and the in-memory esbuild time. (`BENCH_ONLY=dashboard-bundle`.)
 */
import { DASHBOARD_FIRST_SCREEN_BUDGET_BYTES, buildDashboard } from "../src/dashboard/build.js";

export async function benchDashboardBundle(): Promise<boolean> {
  const build = await buildDashboard();
  const gz = { html: build.html.gzip.length, css: build.css.gzip.length, js: build.js.gzip.length };
  const total = gz.html + gz.css + gz.js;
  console.log(
    `\nDashboard: first screen gzipped ${total} B (html ${gz.html}, css ${gz.css}, js ${gz.js}) of a ${DASHBOARD_FIRST_SCREEN_BUDGET_BYTES} B budget; ` +
      `brotli ${build.html.br.length + build.css.br.length + build.js.br.length} B; raw js ${build.js.raw.length} B; built in ${build.buildMs} ms`,
  );
  return total <= DASHBOARD_FIRST_SCREEN_BUDGET_BYTES;
}
