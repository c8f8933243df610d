import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { buildApp } from "./app.js";
import { banner } from "./banner.js";
import { bootStorage } from "./boot.js";
import type { Config } from "./config.js";
import { backfillAppEndpoints } from "./events/endpoints.js";
import { webhookDeliveryJob } from "./events/worker.js";
import { lockDataDir } from "./lib/data-dir-lock.js";
import { HOUSEKEEPING_JOBS } from "./jobs/housekeeping.js";
import { JobRunner } from "./jobs/runner.js";
import { PAYMENT_JOBS } from "./payments/jobs.js";
import { systemClock } from "./lib/clock.js";
import { demoFilePath, ensureDemo, ensureDemoData, type DemoInfo } from "./seed.js";
import { buildWidgetApp } from "./widget-app.js";

/** How long in-flight requests get to finish after SIGINT/SIGTERM before we exit anyway. */
export const SHUTDOWN_GRACE_MS = 20_000;

export interface ServeOptions {
  /**
   * `all` is `okro serve` (everything: seeds the demo, runs the webhook worker and the job runner
   * in-process); `api` is `okro api` (no demo seed, no workers: run `okro worker` beside it).
   */
  role: "all" | "api";
}

function urlOf(server: FastifyInstance, host: string): string {
  const { port } = server.server.address() as AddressInfo;
  const shown = host === "0.0.0.0" || host === "::" || host === "127.0.0.1" || host === "::1" ? "localhost" : host;
  return `http://${shown}:${port}`;
}

/**
 * Runs Okro: storage (migrated), the API and dashboard origin on PORT, the widget origin on
 * WIDGET_PORT; for `okro serve` also the webhook worker and the job runner, the demo company and the banner. Stops
 * gracefully on SIGINT/SIGTERM: stop accepting (and claiming), let in-flight requests and
 * deliveries finish, close the database, exit 0.
 */
export async function serve(config: Config, options: ServeOptions): Promise<void> {
  const startedAt = performance.now();
  // The embedded database belongs to one process; PostgreSQL is shared on purpose.
  const unlock = config.databaseUrl ? () => {} : lockDataDir(config.dataDir);
  let storage: Awaited<ReturnType<typeof bootStorage>>;
  try {
    storage = await bootStorage(config, systemClock);
  } catch (error) {
    unlock();
    throw error;
  }
  const { handle, ctx } = storage;
  await backfillAppEndpoints(ctx, (message, appId) => process.stderr.write(`okro: app ${appId}: ${message}\n`));
  /** Set once the demo company is seeded: the demo merchant page (`/demo`) shows its widget. */
  let demoInfo: DemoInfo | undefined;
  const api = await buildApp(ctx, { demo: () => demoInfo });
  const widget = await buildWidgetApp(ctx);
  await api.listen({ port: config.port, host: config.host });
  await widget.listen({ port: config.widgetPort, host: config.host });
  // The one job runner (src/jobs): webhook delivery, the payments engine's work and housekeeping.
  const jobs =
    options.role === "all"
      ? new JobRunner(ctx, [...PAYMENT_JOBS, ...HOUSEKEEPING_JOBS, webhookDeliveryJob({ logger: api.log, registry: api.metricsRegistry })], {
          concurrency: config.workerConcurrency,
          pollMs: config.payments.pollMs,
          logger: api.log,
          registry: api.metricsRegistry,
        })
      : undefined;
  jobs?.start();

  let stopping = false;
  /** The demo's account data, linked in the background after the banner (see below). */
  let seeding: Promise<unknown> | undefined;
  const stopSeeding = new AbortController();
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    api.log.info({ signal }, "shutting down: finishing in-flight requests");
    setTimeout(() => {
      api.log.error("in-flight requests did not finish in time; exiting");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    // The demo seed stops at its next bank call; what it already linked stays (the next start finishes it).
    stopSeeding.abort();
    // The workers finish their in-flight deliveries and bank calls (and record them) before the database closes.
    await Promise.allSettled([api.close(), widget.close(), jobs?.stop(), seeding]);
    await handle.close();
    unlock();
    api.log.info("stopped");
    process.exit(0);
  };
  // `on`, not `once`: a second Ctrl-C (or a signal relayed by a process manager) must not fall
  // through to Node's default handler and kill us halfway through closing the database. npm
  // scripts run `node --import tsx`, not the tsx CLI, whose relay SIGKILLs a child that does not
  // acknowledge a signal within 60 ms (a busy moment would lose the graceful stop).
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  const urls = { api: config.publicUrl ?? urlOf(api, config.host), widget: config.widgetUrl ?? urlOf(widget, config.host) };
  if (options.role === "all" && config.seedDemo) {
    const demo = await ensureDemo(ctx, config.dataDir, urls);
    demoInfo = demo;
    const elapsed = Math.round(performance.now() - startedAt);
    // Secrets only to a terminal: piped or redirected, stdout is the JSON log stream, kept by
    // whatever collects it.
    process.stdout.write(banner(demo, handle, demoFilePath(config.dataDir), elapsed, { secrets: Boolean(process.stdout.isTTY) }) + "\n");
    // Linked customers for the demo (until they are all there): in the background, because it goes
    // through the sandbox banks (seconds, with their latency) and start-up must not wait for them.
    if (!stopping) seeding = ensureDemoData(ctx, demo, { signal: stopSeeding.signal }).then(
      ({ linked }) => linked > 0 && api.log.info({ linked }, "demo: sandbox customers linked"),
      (error: unknown) => api.log.warn({ err: error }, "demo: could not link the sandbox customers; the API works, without demo data"),
    );
  } else {
    api.log.info({ api: urls.api, widget: urls.widget, storage: handle.kind }, "okro api listening");
  }
}
