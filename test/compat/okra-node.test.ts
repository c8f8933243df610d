import type { AddressInfo } from "node:net";
// okra-node 0.2.0 is Okra's official Node SDK: the client our users already run. These tests
// drive it, unmodified, against Okro; only its base URL is pointed here.
// @ts-expect-error okra-node ships no type declarations
import { Banks } from "okra-node/src/okra-client.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BANK_DIRECTORY } from "../../src/banks/directory.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { createHarness, type Harness } from "../harness.js";

interface SdkBanksPage {
  banks: Array<{ _id: string; name: string; slug: string }>;
  pagination: { hasNextPage: boolean };
  nextPage?: () => Promise<SdkBanksPage>;
}

let h: Harness;
let tenant: NewCompany;
let base: string;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.newTenant("SDK Co");
  await h.app.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
});
afterAll(() => h?.close());

function sdkBanks(secret: string, env: "sandbox" | "production") {
  const client = new Banks(secret, env);
  client.apiBaseUrl = `${base}/v2/${env === "sandbox" ? "sandbox/" : ""}`;
  return client as { get(options?: object): Promise<unknown> };
}

describe("okra-node 0.2.0 against Okro", () => {
  it("lists banks page by page with the SDK's own defaults (page 1, limit 1) and nextPage()", async () => {
    let page = (await sdkBanks(tenant.sandbox.secret_key, "sandbox").get()) as SdkBanksPage;
    const seen = [...page.banks];
    expect(page.banks).toHaveLength(1);
    while (page.pagination.hasNextPage) {
      page = await page.nextPage!();
      seen.push(...page.banks);
    }
    expect(seen.map((b) => b.slug)).toEqual(BANK_DIRECTORY.map((b) => b.slug));
  });

  it("gets one bank by id", async () => {
    const got = (await sdkBanks(tenant.production.secret_key, "production").get({ id: "5d6fe57a4099cc4b210bbeb3" })) as {
      bank: { name: string };
    };
    expect(got.bank.name).toMatch(/Guaranty Trust/);
  });

  it("surfaces Okro's errors the way the SDK reports Okra's: error_payload and http_error_code", async () => {
    await expect(sdkBanks("sk_test_not-a-real-key", "sandbox").get()).rejects.toMatchObject({
      http_error_code: 401,
      error_payload: { status: "error", error: "UNAUTHORIZED" },
    });
    await expect(sdkBanks(tenant.production.secret_key, "sandbox").get()).rejects.toMatchObject({
      http_error_code: 403,
      error_payload: { status: "error", error: "SANDBOX_ONLY" },
    });
  });
});
