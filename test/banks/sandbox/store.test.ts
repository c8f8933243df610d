import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgeExpiredSessions } from "../../../src/banks/sandbox/store.js";
import { createHarness, type Harness } from "../../harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe("sandbox bank sessions", () => {
  it("are swept once they expired over a day ago; live and recently expired ones stay", async () => {
    const now = h.clock.now();
    const at = (hours: number) => new Date(now.getTime() + hours * 3600_000);
    const realm = `sweep-${now.getTime()}`;
    const rows = [
      ["old", at(-30)],
      ["recent", at(-2)],
      ["live", at(1)],
    ] as const;
    await h.ctx.db
      .insertInto("sandbox_sessions")
      .values(rows.map(([name, expires]) => ({ token_hash: `${realm}-${name}`, realm, bank_id: "5d6fe57a4099cc4b210bbeb3", customer_ref: "b:x:okro_good", state: "connected" as const, challenge: null, expires_at: expires, created_at: at(-48) })))
      .execute();
    await purgeExpiredSessions(h.ctx.db, now);
    const left = await h.ctx.db.selectFrom("sandbox_sessions").select("token_hash").where("realm", "=", realm).orderBy("token_hash").execute();
    expect(left.map((r) => r.token_hash)).toEqual([`${realm}-live`, `${realm}-recent`]);
  });
});
