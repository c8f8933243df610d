/**
 * `npm run bench`: every benchmark, each printed against a baseline measured in the same run.
 * `BENCH_ONLY=api`, `BENCH_ONLY=sandbox-bank`, `BENCH_ONLY=webhooks`, `BENCH_ONLY=widget` or
 * `BENCH_ONLY=payments`, `BENCH_ONLY=jobs`, `BENCH_ONLY=bulk`, `BENCH_ONLY=charge` (the API charge path: pay/initiate → runner → bank → succeeded, statements per payment), `BENCH_ONLY=dashboard` (lists and export on 100,000 payments) `BENCH_ONLY=dashboard-bundle` (the first screen's size), `BENCH_ONLY=lists` (API lists on 1,000,000 rows, before/after issue 17) or `BENCH_ONLY=startup` (`npm start`'s cold and warm start) runs one. See each file for what it measures.
 */
import { benchApi } from "./api.mjs";
import { benchBulk } from "./bulk.mjs";
import { benchCharge } from "./charge.mjs";
import { benchDashboard } from "./dashboard.mjs";
import { benchDashboardBundle } from "./dashboard-bundle.mjs";
import { benchJobs } from "./jobs.mjs";
import { benchLists } from "./lists.mjs";
import { benchStartup } from "./startup.mjs";
import { benchPayments } from "./payments.mjs";
import { benchSandboxBank } from "./sandbox-bank.mjs";
import { benchWebhooks } from "./webhooks.mjs";
import { benchWidget } from "./widget.mjs";

const only = process.env.BENCH_ONLY;
const benches: Record<string, () => Promise<boolean>> = { api: benchApi, "sandbox-bank": benchSandboxBank, webhooks: benchWebhooks, widget: benchWidget, payments: benchPayments, jobs: benchJobs, bulk: benchBulk, charge: benchCharge, dashboard: benchDashboard, "dashboard-bundle": benchDashboardBundle, lists: benchLists, startup: benchStartup };
if (only && !benches[only]) {
  console.error(`BENCH_ONLY must be one of: ${Object.keys(benches).join(", ")}`);
  process.exit(2);
}
let ok = true;
for (const [name, bench] of Object.entries(benches)) {
  if (!only || only === name) ok = (await bench()) && ok;
}
console.log(`\nrss ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MiB after the run`);
if (!ok) process.exitCode = 1;
