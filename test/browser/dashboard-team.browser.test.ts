import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../harness.js";
import { Mailbox, linkIn } from "../dashboard/mailbox.js";
import { chromiumPath, launch } from "./chromium.js";
import { DESKTOP, PHONE, check, navigate } from "./dashboard-helpers.js";
import { uniqueIp } from "../platform/dashboard-client.js";

/**
 * The team and account pages as people use them: an owner invites a viewer from the Team page;
 * the viewer accepts the mailed link (a local SMTP server), finds the keys but no way to change
 * them; forgets the password and resets it through the mailed link; and an owner whose session
 * ends mid-form signs in again in the dialog and sends what was typed.
 */
describe.skipIf(!chromiumPath)("dashboard team, invitations and password reset (Chromium)", () => {
  let h: Harness;
  let browser: Browser;
  let base: string;
  let mailbox: Mailbox;

  beforeAll(async () => {
    mailbox = await new Mailbox().start();
    h = await createHarness({ config: { mail: { smtpUrl: mailbox.url, from: "Okro <no-reply@okro.test>" } } });
    await h.app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await mailbox?.close();
  });

  for (const viewport of [PHONE, DESKTOP]) {
    const tag = viewport.width >= 1000 ? "desktop" : "phone";
    it(`invites a viewer who joins by the mailed link, cannot rotate keys, and resets a password by mail (${tag})`, async () => {
      const ownerEmail = `owner-${randomUUID()}@example.com`;
      const viewerEmail = `viewer-${randomUUID()}@example.com`;
      const signup = await h.request({ method: "POST", url: "/dashboard/api/signup", remoteAddress: uniqueIp(), payload: { company_name: "Adaeze Lending", name: "Adaeze", email: ownerEmail, password: "correct horse battery" } });
      expect(signup.statusCode, signup.body).toBe(200);

      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      await page.goto(`${base}/dashboard/settings/team`);
      // Signed out: the sign-in form in place, then the page asked for.
      await page.getByLabel("Email").fill(ownerEmail);
      await page.getByLabel("Password").fill("correct horse battery");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Team", exact: true }).waitFor();
      await check(page, "team", "owner");

      await page.getByLabel("Email").fill(viewerEmail);
      await page.getByLabel("Role").selectOption("viewer");
      await page.getByRole("button", { name: "Send invitation" }).click();
      await page.getByText(`Invitation sent: ${viewerEmail} (viewer).`).waitFor();
      await page.getByRole("cell", { name: viewerEmail, exact: true }).waitFor();
      await check(page, "team", "invited");
      const invite = linkIn(await mailbox.next(viewerEmail), "/invite");

      // The viewer, in another browser profile.
      const viewerContext = await browser.newContext({ viewport });
      const viewer = await viewerContext.newPage();
      viewer.setDefaultTimeout(20_000);
      await viewer.goto(invite.url);
      await viewer.getByRole("heading", { name: "Join Adaeze Lending" }).waitFor();
      await check(viewer, "invite", "accept");
      await viewer.getByLabel("Your name").fill("Chidi");
      await viewer.getByLabel("Password").fill("viewer password 1");
      await viewer.getByRole("button", { name: "Join the team" }).click();
      await viewer.getByText("Chidi · viewer").waitFor();
      await navigate(viewer, "API keys");
      await viewer.getByText("Viewers can see keys but not rotate them.").waitFor();
      expect(await viewer.getByRole("button", { name: "Rotate secret key" }).count()).toBe(0);
      await check(viewer, "keys", "viewer");
      // The API says no too, in words.
      const refused = await viewer.evaluate(async () => {
        const res = await fetch("/dashboard/api/keys/rotate", { method: "POST", headers: { "content-type": "application/json", "idempotency-key": "v1" }, body: JSON.stringify({ env: "sandbox", kind: "secret" }) });
        return { status: res.status, message: (await res.json()).message as string };
      });
      expect(refused).toEqual({ status: 403, message: "Your role (viewer) cannot rotate API keys; ask a developer or the owner of your company" });

      // The viewer forgets the password.
      await viewer.getByRole("button", { name: "Menu" }).isVisible().then((v) => (v ? viewer.getByRole("button", { name: "Menu" }).click() : undefined));
      await viewer.getByRole("button", { name: "Sign out" }).click();
      await viewer.getByRole("heading", { name: "Sign in" }).waitFor();
      await viewer.getByRole("link", { name: "Forgot your password?" }).click();
      await viewer.getByLabel("Email").fill(viewerEmail);
      await viewer.getByRole("button", { name: "Email me a reset link" }).click();
      await viewer.getByText("If an account exists for this email").waitFor();
      await check(viewer, "reset", "asked");
      const reset = linkIn(await mailbox.next(viewerEmail), "/reset-password");
      await viewer.goto(reset.url);
      await viewer.getByLabel("New password", { exact: true }).fill("a new viewer secret");
      await viewer.getByLabel("New password again").fill("a different one!!");
      await viewer.getByRole("button", { name: "Set password" }).click();
      await viewer.getByText("confirm: the two passwords differ").waitFor();
      await viewer.getByLabel("New password again").fill("a new viewer secret");
      await viewer.getByRole("button", { name: "Set password" }).click();
      await viewer.getByText("Password changed.").waitFor();
      await check(viewer, "reset", "done");
      await viewer.getByRole("link", { name: "Sign in with it" }).click();
      await viewer.getByLabel("Email").fill(viewerEmail);
      await viewer.getByLabel("Password").fill("a new viewer secret");
      await viewer.getByRole("button", { name: "Sign in" }).click();
      await viewer.getByText("Chidi · viewer").waitFor();
      await viewerContext.close();

      // The owner's session ends while a form is half filled: sign in again in the dialog, nothing typed is lost.
      const second = `second-${randomUUID()}@example.com`;
      await page.getByLabel("Email").fill(second);
      const owner = await h.ctx.db.selectFrom("users").select("id").where("email", "=", ownerEmail).executeTakeFirstOrThrow();
      await h.ctx.db.deleteFrom("sessions").where("user_id", "=", owner.id).execute();
      await page.getByRole("button", { name: "Send invitation" }).click();
      const dialog = page.getByRole("dialog", { name: "Your session ended" });
      await dialog.waitFor();
      await check(page, "team", "session-ended");
      await dialog.getByLabel("Password").fill("correct horse battery");
      await dialog.getByRole("button", { name: "Sign in" }).click();
      await dialog.waitFor({ state: "detached" });
      await expect(page.getByLabel("Email").inputValue()).resolves.toBe(second);
      await page.getByRole("button", { name: "Send invitation" }).click();
      await page.getByText(`Invitation sent: ${second} (viewer).`).waitFor();
      await context.close();
    }, 90_000);
  }
});
