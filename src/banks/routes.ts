import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { GetBankBody, GetBankQuery, GetBankResponse, ListBanksParams, ListBanksResponse } from "./schemas.js";
import { getBank, listBanks } from "./service.js";

const tags = ["Banks"];

/**
 * `banks/list` and `banks/getById`, as GET (how okra-node 0.2.0 calls them: `GET banks/list`,
 * `GET banks/getById?id=`) and as POST (Okra's usual style).
 */
export const bankRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const list = { tags, summary: "List the banks in the directory", response: { 200: ListBanksResponse } };
  app.get("/banks/list", { schema: { ...list, querystring: ListBanksParams } }, async (req) => {
    return ok("Banks retrieved successfully", await listBanks(ctx.db, req.query.page, req.query.limit));
  });
  app.post("/banks/list", { schema: { ...list, body: ListBanksParams } }, async (req) => {
    return ok("Banks retrieved successfully", await listBanks(ctx.db, req.body.page, req.body.limit));
  });

  const get = { tags, summary: "Get one bank by its id", response: { 200: GetBankResponse } };
  app.get("/banks/getById", { schema: { ...get, querystring: GetBankQuery } }, async (req) => {
    return ok("Bank retrieved successfully", { bank: await getBank(ctx.db, req.query.id) });
  });
  app.post("/banks/getById", { schema: { ...get, body: GetBankBody } }, async (req) => {
    return ok("Bank retrieved successfully", { bank: await getBank(ctx.db, req.body.id) });
  });
};
