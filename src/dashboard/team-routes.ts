import { dashboardScope } from "../http/api-auth.js";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { mutate } from "../http/idempotency.js";
import { userActor } from "./audit.js";
import { dashboardBase, sendMail } from "./mailer.js";
import { requireRole } from "./roles.js";
import { ChangeRoleBody, IdBody, InvitationResponse, InviteBody, MemberResponse, RevokedInvitationResponse, TeamResponse } from "./schemas.js";
import { changeRole, invite, listTeam, removeTeammate, revokeInvitation } from "./team.js";
import { companyView } from "../platform/access.js";

/** Teammates: list (anyone), invite, change roles, remove (admins). */
export const teamRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {

  app.get("/team", { schema: { summary: "Teammates and open invitations", response: { 200: TeamResponse } } }, async (req) =>
    ok("Team retrieved", await listTeam(ctx.db, req.dashboard.companyId, ctx.clock.now())),
  );

  app.post("/team/invite", { schema: { summary: "Invite a teammate by email with a role", description: "The link is emailed (or logged without SMTP), never returned.", body: InviteBody, response: { 200: InvitationResponse } } }, async (req, reply) => {
    requireRole(req.dashboard.role, "admin", "invite teammates");
    const who = req.dashboard;
    // Idempotent like every mutation: a repeat with the same key replays this answer and sends no
    // second mail. The mail goes out inside the transaction's callback, before the commit: if the
    // commit then failed, the mailed link would name no invitation and say so when opened.
    return mutate(ctx, req, reply, dashboardScope(who), async (trx) => {
      const { invitation, token } = await invite(trx, { ...userActor(who), userId: who.userId }, who.companyId, req.body, ctx.clock.now());
      const company = await companyView(trx, who.companyId);
      const link = `${dashboardBase(ctx.config, req)}/invite?token=${encodeURIComponent(token)}`;
      const mail = await sendMail(
        ctx.config,
        {
          to: invitation.email,
          subject: `${who.name} invited you to ${company.name} on Okro`,
          text: `Hello,\n\n${who.name} (${who.email}) invited you to join ${company.name}'s Okro dashboard as ${invitation.role}.\nAccept within 7 days:\n\n${link}\n`,
        },
        req.log,
      );
      return ok(mail === "failed" ? "Invitation made, but the mail could not be sent; invite again to resend it" : "Invitation sent", { invitation, mail });
    });
  });

  app.post("/team/invitations/revoke", { schema: { summary: "Withdraw an open invitation", body: IdBody, response: { 200: RevokedInvitationResponse } } }, async (req, reply) => {
    requireRole(req.dashboard.role, "admin", "withdraw invitations");
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) =>
      ok("Invitation withdrawn", { invitation: await revokeInvitation(trx, userActor(req.dashboard), req.dashboard.companyId, req.body.id, ctx.clock.now()) }),
    );
  });

  app.post("/team/role", { schema: { summary: "Change a teammate's role", body: ChangeRoleBody, response: { 200: MemberResponse } } }, async (req, reply) => {
    requireRole(req.dashboard.role, "admin", "change teammates' roles");
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) =>
      ok("Role changed", { user: await changeRole(trx, { ...userActor(req.dashboard), role: req.dashboard.role, userId: req.dashboard.userId }, req.dashboard.companyId, req.body.id, req.body.role, ctx.clock.now()) }),
    );
  });

  app.post("/team/remove", { schema: { summary: "Remove a teammate (their sessions end)", body: IdBody, response: { 200: MemberResponse } } }, async (req, reply) => {
    requireRole(req.dashboard.role, "admin", "remove teammates");
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) =>
      ok("Teammate removed", { user: await removeTeammate(trx, { ...userActor(req.dashboard), role: req.dashboard.role, userId: req.dashboard.userId }, req.dashboard.companyId, req.body.id, ctx.clock.now()) }),
    );
  });
};
