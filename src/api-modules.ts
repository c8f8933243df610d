import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { bankRoutes } from "./banks/routes.js";
import { bulkRoutes } from "./bulk/routes.js";
import { sandboxRoutes } from "./banks/sandbox/routes.js";
import type { AppContext } from "./context.js";
import { dataRoutes } from "./data/routes.js";
import { eventRoutes } from "./events/event-routes.js";
import { webhookRoutes } from "./events/webhook-routes.js";
import { garnishRoutes } from "./garnish/routes.js";
import { mandateRoutes } from "./mandates/routes.js";
import { paymentRoutes } from "./payments/routes.js";
import { appApiRoutes } from "./platform/api-routes.js";

/**
 * Every domain module's `/v2` routes. Each is mounted three times: at `/v2` (the key decides
 * the environment), and at `/v2/sandbox` and `/sandbox/v2` (sandbox keys only). A new module adds
 * its plugin here and its routes to test/security/route-registry.ts.
 */
export const apiModules: FastifyPluginAsyncZod<{ ctx: AppContext }>[] = [bankRoutes, appApiRoutes, sandboxRoutes, webhookRoutes, eventRoutes, dataRoutes, paymentRoutes, mandateRoutes, garnishRoutes, bulkRoutes];
