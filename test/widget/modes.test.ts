import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../src/context.js";
import { listSessionBanks } from "../../src/widget/banks.js";
import { connect } from "../../src/widget/connect.js";
import type { CreateSessionBody } from "../../src/widget/api-schemas.js";
import { login } from "../../src/widget/login.js";
import type { ModeName, WidgetMode, WidgetModes } from "../../src/widget/mode.js";
import { createSession } from "../../src/widget/open.js";
import { resolveSession } from "../../src/widget/session.js";
import { WIDGET_MODES } from "../../src/widget/api-routes.js";
import { createHarness, type Harness } from "../harness.js";

/**
 * The mode plug-in point (mode.ts, decision 0020): the session layers take their modes as a list
 * and know them only through `WidgetMode`. A toy mode shows what a new one (mandates, next) gets
 * without touching them: its products and bank needs, its settings stored under its name, its
 * messages, and its `beforeLogin`.
 */

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const calls: string[] = [];
const toy: WidgetMode = {
  name: "toy" as ModeName,
  products: ["identity"],
  bankProducts: ["payments"],
  messages: { connectRefused: "toy sessions do not connect", done: "the toy is done" },
  opens: (body) => body.options?.toy === true,
  open: async (_ctx, opening) => ({ asked_by: opening.scope.companyId, banks: opening.offered.length }),
  customerId: () => null,
  describe: () => ({}),
  beforeLogin: async (_ctx, session) => void calls.push(`beforeLogin from ${session.row.step}`),
};
const modes: WidgetModes = [toy, ...WIDGET_MODES];

async function opened(ctx: AppContext, extra: Partial<CreateSessionBody> = {}) {
  const t = await h.newTenant("Modes Co");
  const answer = await createSession(ctx, { key: t.sandbox.public_key, env: "production-sandbox", ...extra } as CreateSessionBody, modes);
  return { t, answer, session: await resolveSession(ctx, `Bearer ${answer.session_token}`) };
}

describe("a mode plugged into the widget session", () => {
  it("sets the products and the banks, and keeps its settings under its name; other modes' keys stay null", async () => {
    const plain = await opened(h.ctx);
    const { t, answer, session } = await opened(h.ctx, { options: { toy: true } });
    expect(answer.products).toEqual(["auth", "identity"]); // auth is always on (normalizeProducts)
    expect(answer.payment).toBeNull();
    expect(answer.banks.every((b) => b.payments)).toBe(true);
    expect(answer.banks.length).toBeLessThan(plain.answer.banks.length);
    expect(session.settings.toy).toEqual({ asked_by: t.id, banks: answer.banks.length });
    expect(session.settings.payment).toBeNull();
    expect((await listSessionBanks(h.ctx, session, modes)).map((b) => b.id)).toEqual(answer.banks.map((b) => b.id));
    // Without the mode in the list, the same session is plain account data again.
    expect((await listSessionBanks(h.ctx, session, WIDGET_MODES)).length).toBe(plain.answer.banks.length);
  });

  it("answers the account-data steps it refuses with its own words, and is asked before a login leaves its holding step", async () => {
    const { session } = await opened(h.ctx, { options: { toy: true } });
    await expect(connect(h.ctx, session, { account_ids: ["x"], consent: true } as never, modes)).rejects.toThrow("toy sessions do not connect");
    await expect(login(h.ctx, { ...session, row: { ...session.row, step: "done" } }, { bank_id: "x", method: "internet_banking", identifier: "a", secret: "b" }, modes)).rejects.toThrow(
      "the toy is done",
    );
    // From a holding step (paying) the mode lets go first; then the login goes on (here: to an unknown bank).
    await expect(login(h.ctx, { ...session, row: { ...session.row, step: "paying" } }, { bank_id: "x", method: "internet_banking", identifier: "a", secret: "b" }, modes)).rejects.toThrow(
      /bank_id/,
    );
    expect(calls).toEqual(["beforeLogin from paying"]);
  });
});
