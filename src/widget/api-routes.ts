import type { FastifyInstance } from "fastify";
import type { AppContext } from "../context.js";

/** The widget's backend session API (`/api/*` on the widget origin); see protocol.ts. */
export async function registerWidgetApi(_app: FastifyInstance, _ctx: AppContext): Promise<void> {}
