import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backfillAppEndpoints } from "../../src/events/endpoints.js";
import { newId, shortCode } from "../../src/lib/ids.js";
import { createHarness, type Harness } from "../harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

/** An app written the way apps were before webhook endpoints existed: callback_url, no endpoint. */
async function legacyApp(companyId: string, env: "sandbox" | "production", callbackUrl: string) {
  const id = newId(h.clock.now());
  await h.ctx.db
    .insertInto("apps")
    .values({ id, company_id: companyId, env, name: "Legacy", products: ["auth"], logo: null, color: "#123456", bank_filter: [], callback_url: callbackUrl, redirect_url: null, short_url: shortCode(), created_at: h.clock.now(), updated_at: h.clock.now() })
    .execute();
  return id;
}

describe("apps whose callback_url predates webhook endpoints", () => {
  it("get their endpoint at start, once; a URL the rules refuse is reported, not fatal", async () => {
    const tenant = await h.newTenant("Backfill Co");
    const good = await legacyApp(tenant.id, "sandbox", "http://localhost:3999/okra-callback");
    const refused = await legacyApp(tenant.id, "production", "http://10.0.0.5/callback");
    const reported: string[] = [];
    await backfillAppEndpoints(h.ctx, (_message, appId) => reported.push(appId));
    const endpoints = await h.ctx.db.selectFrom("webhook_endpoints").select(["app_id", "url", "env"]).where("company_id", "=", tenant.id).execute();
    expect(endpoints).toEqual([{ app_id: good, url: "http://localhost:3999/okra-callback", env: "sandbox" }]);
    expect(reported).toContain(refused);
    // A second start (or a racing process) makes nothing new.
    await backfillAppEndpoints(h.ctx, () => {});
    expect(await h.ctx.db.selectFrom("webhook_endpoints").select("id").where("company_id", "=", tenant.id).execute()).toHaveLength(1);
  });
});
