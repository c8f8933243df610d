import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AppContext } from "../context.js";
import { accessRoutes } from "./access-routes.js";
import { overviewRoutes } from "./overview-routes.js";
import { publicDashboardRoutes } from "./public-routes.js";
import { teamRoutes } from "./team-routes.js";
import { dashboardMoneyRoutes } from "./money-routes.js";
import { dashboardPaymentRoutes } from "./payments-routes.js";
import { dashboardWebhookRoutes } from "./webhooks-routes.js";
import { dashboardRequestLogRoutes } from "./request-log-routes.js";
import { dashboardWidgetBuilderRoutes } from "./widget-builder-routes.js";
import { dashboardMandateRoutes } from "./mandates-routes.js";
import { dashboardCustomerRoutes } from "./customers-routes.js";
import { dashboardBulkRoutes } from "./bulk-routes.js";
import { dashboardGarnishRoutes } from "./garnish-routes.js";

/**
 * The dashboard JSON API's feature modules. Each is registered under `/dashboard/api` inside the
 * session-authenticated scope of src/platform/routes.ts: `req.dashboard` (who is signed in, their
 * company and role) is set, the CSRF guard and `cache-control: no-store` apply, and every route
 * gets the Dashboard tag and cookie security in the OpenAPI document. Add yours: a
 * `src/dashboard/<feature>-routes.ts` exporting a plugin, and one line below in your own block.
 */
export type DashboardApiModule = FastifyPluginAsyncZod<{ ctx: AppContext }>;

export const dashboardApiModules: DashboardApiModule[] = [
  // Getting started, team, payment access, developers (wt-dash).
  overviewRoutes,
  teamRoutes,
  accessRoutes,

  // Payments, links, money, sandbox tools (wt-dash2): add below.
  dashboardPaymentRoutes,
  dashboardMoneyRoutes,

  // Developers: webhooks, events, request log (wt-devpages).
  dashboardWebhookRoutes,
  dashboardRequestLogRoutes,
  dashboardWidgetBuilderRoutes,
  // Mandates, bulk uploads, customers (wt-pages).
  dashboardMandateRoutes,
  dashboardCustomerRoutes,
  dashboardBulkRoutes,
  // Garnishments (wt-dash, issue 16 item 5).
  dashboardGarnishRoutes,
];

/** Modules that need no session (CSRF guard still applies; rate-limit with `authLimit`). List them in test/security/dashboard-security.test.ts's PUBLIC_DASHBOARD_ROUTES. */
export const dashboardPublicApiModules: DashboardApiModule[] = [publicDashboardRoutes];
