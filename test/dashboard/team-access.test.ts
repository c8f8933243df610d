import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { createHarness, type Harness } from "../harness.js";
import { DashboardClient, PASSWORD, uniqueEmail } from "../platform/dashboard-client.js";
import { Mailbox, linkIn } from "./mailbox.js";

/**
 * The dashboard API of issue 16 parts 1–2: password reset by mailed link (through a local SMTP
 * server), teammates by invitation with roles the API enforces, production payment access
 * decided by a configured operator, the getting-started checklist and the audit log.
 */
const OPERATOR = `operator-${Date.now()}@okro.test`;
let h: Harness;
let mailbox: Mailbox;
const clock = new ManualClock();

beforeAll(async () => {
  mailbox = await new Mailbox().start();
  h = await createHarness({ clock, config: { mail: { smtpUrl: mailbox.url, from: "Okro <no-reply@okro.test>" }, operatorEmails: [OPERATOR] } });
});
afterAll(async () => {
  await h?.close();
  await mailbox?.close();
});

const key = () => ({ "idempotency-key": `k-${Math.random().toString(36).slice(2)}` });

async function owner() {
  const c = new DashboardClient(h);
  const { input } = await c.signup();
  return { c, email: input.email.toLowerCase() };
}

async function join(inviter: DashboardClient, role: "admin" | "developer" | "viewer") {
  const email = uniqueEmail().toLowerCase();
  expectSuccess(await inviter.post("/team/invite", { email, role }, key()));
  const { token } = linkIn(await mailbox.next(email), "/invite");
  const c = new DashboardClient(h);
  const lookup = expectSuccess(await c.post("/invitations/lookup", { token }));
  expect(lookup).toMatchObject({ email, role, company_name: "Acme Lending" });
  const accepted = await c.post("/invitations/accept", { token, name: `A ${role}`, password: PASSWORD });
  c.remember(accepted);
  expect(expectSuccess(accepted).user).toMatchObject({ email, role });
  return { c, email, token };
}

describe("teammates and roles", () => {
  it("invites by mail; the link works once; the viewer sees keys but gets a clear 403 for changes", async () => {
    const { c: boss } = await owner();
    const viewer = await join(boss, "viewer");
    // The link is used up.
    expectError(await new DashboardClient(h).post("/invitations/accept", { token: viewer.token, name: "Again", password: PASSWORD }), 404, "NOT_FOUND");

    const me = expectSuccess(await viewer.c.get("/me"));
    expect(me.user.role).toBe("viewer");
    expect(me.environments.sandbox.keys.length).toBeGreaterThan(0);
    const { message } = expectError(await viewer.c.post("/keys/rotate", { env: "sandbox", kind: "secret" }, key()), 403, "FORBIDDEN");
    expect(message).toBe("Your role (viewer) cannot rotate API keys; ask a developer or the owner of your company");
    expectError(await viewer.c.post("/team/invite", { email: uniqueEmail(), role: "admin" }, key()), 403, "FORBIDDEN");
    // Nothing changed: the owner's key list is as before.
    const team = expectSuccess(await boss.get("/team"));
    expect(team.members.map((m: { role: string }) => m.role).sort()).toEqual(["owner", "viewer"]);
  });

  it("keeps the last owner, refuses self-changes, lets an owner promote and remove; each leaves an audit entry", async () => {
    const { c: boss, email: bossEmail } = await owner();
    const dev = await join(boss, "developer");
    const admin = await join(boss, "admin");
    const members = expectSuccess(await boss.get("/team")).members as { id: string; email: string; role: string }[];
    const bossId = members.find((m) => m.role === "owner")!.id;
    const devId = members.find((m) => m.email === dev.email)!.id;
    expectError(await boss.post("/team/role", { id: bossId, role: "viewer" }, key()), 403, "FORBIDDEN");
    expectError(await admin.c.post("/team/role", { id: bossId, role: "viewer" }, key()), 403, "FORBIDDEN");
    expectSuccess(await admin.c.post("/team/role", { id: devId, role: "viewer" }, key()));
    expectSuccess(await boss.post("/team/remove", { id: devId }, key()));
    // The removed teammate's session is gone with them.
    expectError(await dev.c.get("/me"), 401, "UNAUTHORIZED");
    const audit = expectSuccess(await boss.get("/audit")).entries as { actor: string; action: string }[];
    expect(audit.map((e) => `${e.actor} ${e.action}`)).toEqual(
      expect.arrayContaining([`${bossEmail} team.invite`, `${admin.email} team.role_changed`, `${bossEmail} team.removed`, `${dev.email} team.joined`]),
    );
  });

  it("names the field when an invitation is bad", async () => {
    const { c: boss, email } = await owner();
    expect(expectError(await boss.post("/team/invite", { email: "not-an-email", role: "viewer" }, key()), 400, "INVALID_FIELD").message).toMatch(/^email: /);
    expect(expectError(await boss.post("/team/invite", { email, role: "viewer" }, key()), 409, "CONFLICT").message).toBe("email: this person is already on your team");
    expectError(await boss.post("/team/invite", { email: uniqueEmail(), role: "owner" }, key()), 400, "INVALID_FIELD");
  });
});

describe("password reset by mailed link", () => {
  it("mails a one-hour link that sets the password once and ends the old sessions", async () => {
    const { c, email } = await owner();
    const anon = new DashboardClient(h);
    expectSuccess(await anon.post("/password/forgot", { email }));
    const { token } = linkIn(await mailbox.next(email), "/reset-password");
    expect(expectError(await anon.post("/password/reset", { token, password: "short" }), 400, "INVALID_FIELD").message).toMatch(/^password: must be at least 10/);
    expectSuccess(await anon.post("/password/reset", { token, password: "a brand new secret" }));
    expectError(await c.get("/me"), 401, "UNAUTHORIZED");
    expectError(await anon.post("/password/reset", { token, password: "another new secret" }), 404, "NOT_FOUND");
    expectError(await anon.login(email, PASSWORD), 401, "UNAUTHORIZED");
    expectSuccess(await anon.login(email, "a brand new secret"));
  });

  it("answers the same for an unknown email and sends nothing; an old link expires after an hour", async () => {
    const anon = new DashboardClient(h);
    const unknown = uniqueEmail();
    const res = await anon.post("/password/forgot", { email: unknown });
    expectSuccess(res);
    expect(res.json().message).toBe("If an account exists for this email, a reset link is on its way");
    const { email } = await owner();
    expectSuccess(await anon.post("/password/forgot", { email }));
    const { token } = linkIn(await mailbox.next(email), "/reset-password");
    clock.advance(60 * 60 * 1000 + 1);
    expectError(await anon.post("/password/reset", { token, password: "a brand new secret" }), 404, "NOT_FOUND");
    expect(mailbox.mails.some((m) => m.to.includes(unknown.toLowerCase()))).toBe(false);
  });
});

describe("production payment access", () => {
  const business = { legal_name: "Acme Lending Ltd", registration_number: "RC 123456", address: "1 Marina, Lagos", contact_phone: "+234 803 123 4567", description: "Loan repayments" };

  it("is requested by an admin, decided by the operator only, and the company is told", async () => {
    const { c: boss, email } = await owner();
    expect(expectSuccess(await boss.get("/onboarding")).steps.find((s: { id: string }) => s.id === "live").done).toBe(false);
    expect(expectError(await boss.post("/payment-access/request", { ...business, registration_number: "12" }, key()), 400, "INVALID_FIELD").message).toMatch(/^registration_number: /);
    const req = expectSuccess(await boss.post("/payment-access/request", business, key())).request;
    expect(req).toMatchObject({ state: "pending", business });
    expectError(await boss.post("/payment-access/request", business, key()), 409, "CONFLICT");
    // The company's owner is not an operator.
    expectError(await boss.post("/operator/access-requests/decide", { id: req.id, decision: "approve" }, key()), 403, "FORBIDDEN");
    expectError(await boss.get("/operator/access-requests"), 403, "FORBIDDEN");

    const op = new DashboardClient(h);
    await op.signup({ email: OPERATOR, company_name: "Okro Operations" });
    const queue = expectSuccess(await op.get("/operator/access-requests?state=pending")).requests;
    expect(queue.map((r: { id: string }) => r.id)).toContain(req.id);
    const decided = expectSuccess(await op.post("/operator/access-requests/decide", { id: req.id, decision: "approve" }, key())).request;
    expect(decided).toMatchObject({ state: "approved", decided_by: OPERATOR });
    expectError(await op.post("/operator/access-requests/decide", { id: req.id, decision: "decline" }, key()), 409, "CONFLICT");
    expect((await mailbox.next(email)).text).toContain("production payments are now enabled");
    const status = expectSuccess(await boss.get("/payment-access"));
    expect(status).toMatchObject({ production_enabled: true, operator: false });
    expect(expectSuccess(await boss.get("/onboarding")).steps.find((s: { id: string }) => s.id === "live").done).toBe(true);
    const audit = expectSuccess(await boss.get("/audit")).entries.map((e: { actor: string; action: string }) => `${e.actor} ${e.action}`);
    expect(audit).toEqual(expect.arrayContaining([`${email} payment_access.requested`, `operator:${OPERATOR} payment_access.approved`]));
  });

  it("is not requested by a developer", async () => {
    const { c: boss } = await owner();
    const dev = await join(boss, "developer");
    expect(expectError(await dev.c.post("/payment-access/request", business, key()), 403, "FORBIDDEN").message).toMatch(/cannot request production payment access/);
  });
});

describe("okro admin access (the operator's CLI)", () => {
  const business = { legal_name: "Cli Foods Ltd", registration_number: "BN 7654321", address: "2 Allen Ave, Ikeja", contact_phone: "08031234567", description: "Food orders" };

  it("lists open requests, declines with a note the company is mailed, and refuses a second decision", async () => {
    const { runAdmin } = await import("../../src/dashboard/admin-cli.js");
    const { c: boss, email } = await owner();
    const req = expectSuccess(await boss.post("/payment-access/request", business, key())).request;
    const out: string[] = [];
    const err: string[] = [];
    const io = (into: string[]) => ({ write: (s: string) => void into.push(s) });
    expect(await runAdmin(h.ctx, ["access", "list"], io(out), io(err))).toBe(0);
    expect(out.join("")).toContain(`${req.id}  pending`);
    expect(await runAdmin(h.ctx, ["access", "decline", req.id, "--note", "CAC number not found", "--operator", "ngozi"], io(out), io(err))).toBe(0);
    expect((await mailbox.next(email)).text).toContain("Reason: CAC number not found");
    expect(await runAdmin(h.ctx, ["access", "approve", req.id], io(out), io(err))).toBe(1);
    expect(err.join("")).toContain("id: this request was already declined");
    const status = expectSuccess(await boss.get("/payment-access"));
    expect(status).toMatchObject({ production_enabled: false, latest_request: { state: "declined", decided_by: "ngozi", decision_note: "CAC number not found" } });
    // Declined: the company may ask again.
    expectSuccess(await boss.post("/payment-access/request", business, key()));
  });
});
