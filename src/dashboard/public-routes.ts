import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { authLimit, setSessionCookie } from "../platform/session-cookie.js";
import { dashboardBase, sendMail } from "./mailer.js";
import { finishPasswordReset, startPasswordReset } from "./password-reset.js";
import {
  AcceptInvitationBody,
  AcceptInvitationResponse,
  ForgotPasswordBody,
  InvitationLookupResponse,
  InvitationTokenBody,
  MessageResponse,
  ResetPasswordBody,
} from "./schemas.js";
import { acceptInvitation, lookUpInvitation } from "./team.js";

/**
 * Dashboard API routes that need no session: asking for and using a password reset link,
 * looking at and accepting an invitation. Rate-limited per address like login. Not
 * idempotency-keyed, like login and signup: a repeat is harmless (a second reset mail, a used
 * link's clear 404) and their answers start sessions or concern one-time tokens.
 */
const tags = ["Dashboard"];

export const publicDashboardRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    "/password/forgot",
    { config: authLimit, schema: { tags, summary: "Email a password reset link", description: "The same answer whether or not the email has an account.", security: [], body: ForgotPasswordBody, response: { 200: MessageResponse } } },
    async (req) => {
      const started = await startPasswordReset(ctx.db, req.body.email, ctx.clock.now());
      if (started) {
        const link = `${dashboardBase(ctx.config, req)}/reset-password?token=${encodeURIComponent(started.token)}`;
        await sendMail(
          ctx.config,
          {
            to: started.email,
            subject: "Reset your Okro password",
            text: `Hello ${started.name},\n\nSomeone (hopefully you) asked to reset the password of your Okro dashboard account.\nOpen this link within an hour to choose a new one:\n\n${link}\n\nIf it was not you, ignore this mail: your password stays as it is.\n`,
          },
          req.log,
        );
      }
      return ok("If an account exists for this email, a reset link is on its way", {});
    },
  );

  app.post(
    "/password/reset",
    { config: authLimit, schema: { tags, summary: "Set a new password with a reset link's token", description: "Ends every session of the account.", security: [], body: ResetPasswordBody, response: { 200: MessageResponse } } },
    async (req) => {
      await finishPasswordReset(ctx.db, req.body, ctx.clock.now());
      return ok("Password changed; sign in with the new one", {});
    },
  );

  app.post(
    "/invitations/lookup",
    { config: authLimit, schema: { tags, summary: "What an invitation link is for (company, email, role)", security: [], body: InvitationTokenBody, response: { 200: InvitationLookupResponse } } },
    async (req) => ok("Invitation found", await lookUpInvitation(ctx.db, req.body.token, ctx.clock.now())),
  );

  app.post(
    "/invitations/accept",
    { config: authLimit, schema: { tags, summary: "Accept an invitation: create the account and sign in", security: [], body: AcceptInvitationBody, response: { 200: AcceptInvitationResponse } } },
    async (req, reply) => {
      const { user, session } = await acceptInvitation(ctx.db, req.body, ctx.clock.now());
      setSessionCookie(ctx.config, reply, session);
      return ok("Welcome to the team", { user });
    },
  );
};
