import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kobo } from "../../src/lib/kobo.js";
import { paymentLink, receivingAccount } from "../widget/payment-fixtures.js";
import { chromiumPath } from "./chromium.js";
import { startWidgetWorld, type WidgetWorld } from "./widget-harness.js";

/** The hosted page of a recurring payment link states its charges in words, before any bank (Chromium). */
describe.skipIf(!chromiumPath)("a recurring payment link's page", () => {
  let world: WidgetWorld;
  beforeAll(async () => {
    world = await startWidgetWorld();
  }, 120_000);
  afterAll(() => world?.close());

  it("says it repeats, how much and how often", async () => {
    const t = await world.newTenant("Gym Lagos");
    await receivingAccount(world.h.ctx, t);
    const link = await paymentLink(world.h.ctx, t, { name: "Gold membership", amount: kobo(1_500_000), type: "recurring", schedule: { interval: "monthly", start_date: null, end_date: null, count: 12, day_of_month: null } });
    const w = await world.openFullPage(`${world.widgetOrigin}/pay/${link.short_url}`, { flow: "recurring-link" });
    await w.waitForScreen(`Payment to ${t.name}`);
    await expect.poll(() => w.frame.locator(".recurring").textContent()).toBe("NGN 15,000.00 every month, starting the day you pay, 12 times");
    await w.check("recurring-link");
  });
});
