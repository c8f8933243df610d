import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { listBanks } from "../banks/service.js";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { widgetOrigin } from "../payments/links.js";
import { PRODUCTS } from "../platform/domain.js";

/** Banks offered in the builder's bank filter: the whole directory (it is small: tens of banks). */
const ALL_BANKS = 1_000;

/**
 * What the dashboard's widget builder needs besides the apps API (src/platform/routes.ts): where
 * the widget is served (its live preview frames that origin with the app's options), the products
 * an app can ask for, and the bank directory for the bank filter.
 */
export const dashboardWidgetBuilderRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get("/widget-builder", { schema: { summary: "The widget's origin, products and banks, for the widget builder" } }, async () => {
    const { banks } = await listBanks(ctx.db, 1, ALL_BANKS);
    return ok("Widget builder settings retrieved", {
      widget_origin: widgetOrigin(ctx.config),
      products: PRODUCTS,
      banks: banks.map((b) => ({ slug: b.slug, name: b.name })),
    });
  });
};
