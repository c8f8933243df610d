import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AppContext } from "../context.js";

/** Dashboard JSON API (being written). */
export const dashboardRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async () => {};
