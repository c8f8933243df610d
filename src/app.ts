import cookie from "@fastify/cookie";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from "fastify";
import { COUNT_BOUND } from "./core/paging.js";
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  type FastifyPluginAsyncZod,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { apiModules } from "./api-modules.js";
import type { AppContext } from "./context.js";
import { secretKeyHook } from "./http/api-auth.js";
import { RequestLogWriter } from "./http/request-log.js";
import { ErrorEnvelope, ok } from "./core/envelope.js";
import { ERROR_STATUS, OkroError } from "./core/errors.js";
import { applyHttpBasics, requestIdOptions } from "./http/basics.js";
import { loggerOptions } from "./core/logging.js";
import { markPrefix, tidyOpenApi } from "./http/openapi.js";
import { describeMs, postgresRateLimitStore } from "./http/rate-limit.js";
import { parseFormBody, parseJsonBody, validatorCompiler } from "./http/validation.js";
import { createMetrics } from "./ops/metrics.js";
import type { Registry } from "prom-client";
import { opsRoutes } from "./ops/routes.js";
import { dashboardRoutes } from "./platform/routes.js";
import { API_INDEX, apiIndexPage, landingPage } from "./ops/pages.js";
import { dashboardPages } from "./dashboard/routes.js";
import { demoMerchantRoutes } from "./dashboard/demo-merchant.js";
import type { DemoInfo } from "./seed.js";
import { PAYMENT_REFUSAL_REASONS } from "./payments/reasons.js";

export const API_PREFIXES = [
  { prefix: "/v2", sandboxOnly: false },
  { prefix: "/v2/sandbox", sandboxOnly: true },
  { prefix: "/sandbox/v2", sandboxOnly: true },
] as const;

export interface RouteEntry {
  method: string;
  url: string;
  hidden: boolean;
}
declare module "fastify" {
  interface FastifyInstance {
    routeTable: RouteEntry[];
    /** This app's Prometheus registry (served at /metrics): an in-process worker registers its metrics here. */
    metricsRegistry: Registry;
    /** The API request log's writer: `flush()` stores what waits (tests, shutdown). */
    requestLog: RequestLogWriter;
  }
}

export interface BuildOptions {
  /** pino logger options, a ready logger (tests capture output), or false. */
  logger?: FastifyServerOptions["loggerInstance"] | false;
  /** `okro serve`'s demo company, once seeded: serves the demo merchant page at `/demo`. */
  demo?: () => DemoInfo | undefined;
}

/** The API and dashboard origin: everything a merchant's server and operators talk to. */
export async function buildApp(ctx: AppContext, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger === false
      ? { logger: false }
      : options.logger
        ? { loggerInstance: options.logger }
        : { logger: loggerOptions(ctx.config.logLevel) }),
    bodyLimit: ctx.config.bodyLimitBytes,
    ...requestIdOptions,
    // Behind a reverse proxy, client IPs (login rate limits, logs) come from X-Forwarded-For.
    trustProxy: ctx.config.trustProxy,
  }).withTypeProvider<ZodTypeProvider>();

  // Every route, as registered (method and full URL). The security suite checks that each /v2
  // route has a case, and the OpenAPI test that each is documented.
  const routeTable: RouteEntry[] = [];
  app.decorate("routeTable", routeTable);
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routeTable.push({ method, url: route.url, hidden: Boolean(route.schema?.hide) });
    // Documented once for every API and dashboard route: errors come in Okra's envelope, and
    // /v2 bodies may be form-encoded.
    if (route.schema?.response && /^\/(v2|sandbox\/v2|dashboard\/api)\//.test(route.url)) {
      route.schema = { ...route.schema, response: { ...(route.schema.response as object), "4XX": ErrorEnvelope } };
      if (route.schema.body && !route.url.startsWith("/dashboard/")) {
        route.schema.consumes = ["application/json", "application/x-www-form-urlencoded"];
      }
    }
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as OkroError, undefined);
    }
  });
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, parseFormBody(body as string));
    } catch {
      done(new OkroError("INVALID_BODY", "body: malformed form-encoded body"), undefined);
    }
  });
  applyHttpBasics(app);

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Okro API",
        version: "2.0.0",
        description: API_DESCRIPTION,
      },
      components: {
        securitySchemes: {
          secretKey: { type: "http", scheme: "bearer", description: "Your secret key: sk_test_… (sandbox) or sk_live_… (production)" },
          session: { type: "apiKey", in: "cookie", name: "okro_session", description: "Dashboard session (see /dashboard/api/login)" },
        },
      },
      tags: [
        { name: "Banks", description: "The bank directory" },
        { name: "Apps", description: "Widget configurations (Okro extension to Okra's API)" },
        { name: "Auth", description: "One Auth per linked account: the account, its balances at linking, the customer and the record (seed 004's Auth object)" },
        { name: "Balance", description: "Available and ledger balances (kobo), their readings over time, and refreshes from the bank" },
        { name: "Accounts", description: "Linked bank accounts (NUBAN, name, type, currency) and whether the customer shared each" },
        { name: "Transactions", description: "Statement lines (debit/credit in kobo, newest first), refreshes from the bank, spending patterns, counterparties" },
        { name: "Identity", description: "KYC data the bank holds (BVN, names, date of birth, phones, emails, address) and verification against it" },
        { name: "Income", description: "Income derived from transactions: streams with source and regularity, average monthly income, paydays, confidence" },
        { name: "Customers", description: "The people behind linked accounts, one per person (recognised again by BVN or your id)" },
        { name: "Records", description: "Records: one per bank connection made through the widget" },
        {
          name: "Payments",
          description:
            "One-time payments (initiate, verify, cancel, list), refunds, payouts and your receiving accounts. Amounts in kobo; statuses as seed 004 defines them.",
        },
        { name: "Payment links", description: "Hosted pay pages on the widget origin: fixed or payer-entered amount, single-use or reusable, expiry" },
        { name: "Ledger", description: "Your collected balances and the double-entry journal behind them (Okro extension to Okra's API)" },
        { name: "Webhooks", description: "Webhook endpoints: where events are delivered, signed (Okro extension to Okra's API)" },
        { name: "Events", description: "The events feed (cursor-paginated, to catch up without webhooks), webhook deliveries with their attempts, and replay (Okro extension to Okra's API)" },
        {
          name: "Sandbox",
          description:
            "Okra's sandbox customer API, and Okro's controls for the sandbox bank network: banks and their habits, fault injection, the sandbox clock. Sandbox keys only.",
        },
        { name: "Dashboard", description: "JSON API behind the dashboard: users, sessions, keys, apps" },
        { name: "Operations", description: "Health, readiness, metrics" },
      ],
    },
    transform: (input) => markPrefix(jsonSchemaTransform(input), input.route),
    transformObject: (input) => tidyOpenApi(jsonSchemaTransformObject(input)),
  });
  await app.register(swaggerUi, {
    routePrefix: "/docs",
    uiConfig: { docExpansion: "list", deepLinking: true },
    logo: { type: "image/svg+xml", content: Buffer.from(DOCS_LOGO_SVG), href: "/docs", target: "_self" },
    theme: { title: "Okro API reference" },
  });
  app.get("/v2/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  // The API's base URL (the banner's "API" line), opened in a browser or with curl: an index,
  // without a key. JSON in the envelope, or a small page when the browser asks for HTML.
  const apiIndex = async (req: FastifyRequest, reply: FastifyReply) =>
    prefersHtml(req.headers.accept) ? reply.type("text/html; charset=utf-8").send(apiIndexPage()) : ok("Okro API v2: the reference is at /docs", API_INDEX);
  app.get("/v2", { schema: { hide: true } }, apiIndex);
  app.get("/v2/", { schema: { hide: true } }, apiIndex);

  const metrics = createMetrics();
  metrics.instrument(app);
  app.decorate("metricsRegistry", metrics.registry);
  await app.register(opsRoutes, { ctx, metrics });

  // The API request log: rows pushed after each /v2 answer, written in batches, flushed on close.
  const requestLog = new RequestLogWriter(ctx, app.log);
  app.decorate("requestLog", requestLog);
  app.addHook("onClose", () => requestLog.flush());

  const Store = postgresRateLimitStore(ctx, "api");
  for (const { prefix, sandboxOnly } of API_PREFIXES) {
    await app.register(
      (async (api) => {
        api.addHook("onRoute", (route) => {
          route.schema = { ...route.schema, security: [{ secretKey: [] }] };
          if (sandboxOnly) {
            route.schema.description = `${route.schema.description ?? ""}\n\nSandbox path: sandbox secret keys only.`.trim();
          }
        });
        api.addHook("onRequest", secretKeyHook(ctx, { sandboxOnly }));
        api.addHook("onResponse", requestLog.hook);
        await api.register(rateLimit, {
          global: true,
          // onRequest, after the key hook: every authenticated request counts and gets the
          // RateLimit-* headers, including ones whose body turns out unparseable or invalid.
          hook: "onRequest",
          max: ctx.config.rateLimit.max,
          timeWindow: ctx.config.rateLimit.windowMs,
          store: Store,
          keyGenerator: (req) => `key:${req.tenant.keyId}`,
          enableDraftSpec: true,
          errorResponseBuilder: (_req, context) =>
            new OkroError(
              "RATE_LIMIT_EXCEEDED",
              `Rate limit of ${context.max} requests per ${describeMs(ctx.config.rateLimit.windowMs)} exceeded for this key; retry in ${context.after} (Retry-After)`,
            ),
        });
        for (const module of apiModules) await api.register(module, { ctx });
      }) as FastifyPluginAsyncZod,
      { prefix },
    );
  }

  await app.register(cookie);
  await app.register(dashboardRoutes, { ctx, prefix: "/dashboard/api" });
  await app.register(dashboardPages);
  if (options.demo) demoMerchantRoutes(app, ctx, options.demo);
  app.get("/", { schema: { hide: true } }, async (_req, reply) => reply.type("text/html").send(landingPage(ctx)));

  return app;
}

/** A browser's navigation asks for text/html before anything else; curl and SDKs do not ask for it. */
function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const html = accept.indexOf("text/html");
  const json = accept.indexOf("application/json");
  return html !== -1 && (json === -1 || html < json);
}

const DOCS_LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32" viewBox="0 0 120 32">' +
  '<text x="0" y="25" font-family="system-ui,sans-serif" font-size="26" font-weight="700" fill="#3AB795">okro</text></svg>';

const API_DESCRIPTION = `Okro's API is wire-compatible with Okra's v2 API.

- **Authentication**: \`Authorization: Bearer <secret key>\`. The key decides the company and the environment.
  \`/v2/sandbox/…\` and \`/sandbox/v2/…\` are the same API for sandbox keys only (a production key there gets 403 \`SANDBOX_ONLY\`).
- **Bodies**: JSON, or form-encoded. Money is integer kobo. Ids are 24 hex characters.
- **Envelope**: \`{"status":"success","message":…,"data":…}\`; errors \`{"status":"error","error":CODE,"message":…,"data":…}\`;
  the message names the offending field.
- **Lists**: \`page\`/\`limit\` in the body or query; \`data.pagination\` = {totalDocs, limit, page, totalPages, pagingCounter, hasNextPage, nextPage, hasPrevPage, prevPage, totalDocsExact}. Payments (\`pay/list\`, \`pay/get\`) and transactions count their items exactly up to ${COUNT_BOUND.toLocaleString("en")}: past that \`totalDocsExact\` is false and \`totalDocs\`/\`totalPages\` mean "at least" (\`hasNextPage\`/\`nextPage\` stay exact; the last page's total is exact again).
- **Idempotency**: every mutating call accepts \`Idempotency-Key\` (≤255 printable characters): the same key and request replays the
  first response (with \`Idempotent-Replayed: true\`); the same key with a different request is 409 \`IDEMPOTENCY_KEY_REUSED\`. Keys live 24 hours.
- **Rate limits**: per key, shared by every API process; \`RateLimit-Limit\`, \`RateLimit-Remaining\`, \`RateLimit-Reset\` on every response, 429 \`RATE_LIMIT_EXCEEDED\` with \`Retry-After\` when exceeded.
- **Request ids**: every response has \`X-Request-Id\` (yours, if you send a sane one).

Error codes and HTTP statuses:
${Object.entries(ERROR_STATUS)
  .map(([code, status]) => `- \`${code}\` → ${status}`)
  .join("\n")}

Payments refusals carry \`data.reason\`, one of this closed list:
${Object.entries(PAYMENT_REFUSAL_REASONS)
  .map(([reason, meaning]) => `- \`${reason}\`: ${meaning}`)
  .join("\n")}`;
