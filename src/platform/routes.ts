import type {} from "@fastify/cookie";
import { dashboardScope } from "../http/api-auth.js";
import rateLimit from "@fastify/rate-limit";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AppContext } from "../context.js";
import { errorBody, ok } from "../core/envelope.js";
import { ERROR_STATUS, OkroError } from "../core/errors.js";
import { describeMs, postgresRateLimitStore } from "../http/rate-limit.js";
import { accountOverview, revokeCompanyKey, rotateCompanyClientToken, rotateEnvironmentKey } from "./access.js";
import { createApp, deleteApp, getApp, listApps, updateApp } from "./apps.js";
import { dashboardApiModules, dashboardPublicApiModules } from "../dashboard/api-modules.js";
import { audit, userActor } from "../dashboard/audit.js";
import { requireRole } from "../dashboard/roles.js";
import { AUTH_WINDOW_MS, authLimit, sessionCookieOptions, setSessionCookie } from "./session-cookie.js";
import { csrfGuard } from "./csrf.js";
import { ensureSandboxReceivingAccount, signupShop } from "../payments/sandbox-receiving.js";
import { SESSION_COOKIE, SESSION_TTL_MS } from "./domain.js";
import { listKeys } from "./keys.js";
import { mutate, runMutation } from "../http/idempotency.js";
import type { z } from "zod";
import { dummyPasswordHash } from "./passwords.js";
import {
  AppResponse,
  DashboardAppIdBody,
  DashboardCreateAppBody,
  DashboardGetAppParams,
  DashboardGetAppQuery,
  DashboardListAppsQuery,
  DashboardUpdateAppBody,
  EmptyBody,
  ListAppsResponse,
  ListKeysQuery,
  ListKeysResponse,
  LoginBody,
  LoginResponse,
  LogoutResponse,
  MeResponse,
  RevokeKeyBody,
  RevokeKeyResponse,
  RotateClientTokenBody,
  RotateClientTokenResponse,
  RotateKeyBody,
  RotateKeyResponse,
  SignupBody,
  SignupResponse,
} from "./schemas.js";
import { endSession, resolveSession, type DashboardPrincipal } from "./sessions.js";
import { clearSignIn, reserveSignIn } from "./signin-guard.js";
import { logIn, signUp, type NewSession } from "./users.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Set on session-authenticated dashboard routes: who is signed in, and their company. */
    dashboard: DashboardPrincipal;
  }
}

const tags = ["Dashboard"];
const session = [{ session: [] }];


/**
 * The dashboard's JSON API, under /dashboard/api. Cookie sessions (okro_session), every
 * state-changing route behind the CSRF guard (csrf.ts), login and signup rate-limited per address.
 */
export const dashboardRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  // Computed once in the background so the first login for an unknown email is not slower.
  dummyPasswordHash().catch(() => {});

  app.addHook("onRequest", csrfGuard(ctx.config.publicUrl));
  // Every answer here is one user's (and signup's and rotation's carry keys in clear): no cache,
  // shared or private, may keep it.
  app.addHook("onSend", async (_req, reply) => {
    reply.header("cache-control", "no-store");
  });
  // Only routes that opt in (login, signup) are limited. Counted in PostgreSQL like the API's
  // limits, so every process shares the count. Keyed by route and client address: req.ip is the
  // socket's peer unless the operator configures Fastify's trustProxy.
  await app.register(rateLimit, {
    global: false,
    store: postgresRateLimitStore(ctx, "dashboard"),
    keyGenerator: (req) => `dashboard:${req.routeOptions.url}:ip:${req.ip}`,
    enableDraftSpec: true,
    errorResponseBuilder: (_req, context) =>
      new OkroError(
        "RATE_LIMIT_EXCEEDED",
        `Too many attempts from this address: at most ${context.max} per ${describeMs(AUTH_WINDOW_MS)}; retry in ${context.after} (Retry-After)`,
      ),
  });
  const cookieOptions = sessionCookieOptions(ctx.config);
  const startSession = (reply: FastifyReply, s: NewSession) => setSessionCookie(ctx.config, reply, s);

  // signup, login and logout do not take Idempotency-Key. Their responses start or end a
  // session (Set-Cookie): a stored login response replayed to whoever presents the same key
  // would hand them the session, and signup's carries both environments' keys in clear, which
  // must not sit in the idempotency table. Repeating them is harmless anyway: a second signup
  // is a 409 (email taken), a second login another session, a second logout a no-op.
  app.post(
    "/signup",
    {
      config: authLimit,
      schema: {
        tags,
        summary: "Create a company and its owner, and sign in",
        description: "Returns both environments' secret and public keys in clear: the only time they are shown. Not idempotency-keyed.",
        security: [],
        body: SignupBody,
        response: { 200: SignupResponse },
      },
    },
    async (req, reply) => {
      const { session: s, ...account } = await signUp(ctx.db, req.body, ctx.clock.now());
      // A sandbox receiving account, so the first payment link works without an API call. After
      // the signup committed (the sandbox bank may be another process); if it is unreachable the
      // account is made when the first sandbox link is created from the dashboard.
      await ensureSandboxReceivingAccount(ctx, account.company.id, signupShop(req.body.company_name)).catch((error: unknown) =>
        req.log.warn({ err: error, company: account.company.id }, "signup: no sandbox receiving account yet"),
      );
      startSession(reply, s);
      return ok("Account created; store your secret keys now, they are not shown again", account);
    },
  );

  app.post(
    "/login",
    {
      config: authLimit,
      schema: { tags, summary: "Sign in with email and password", security: [], body: LoginBody, response: { 200: LoginResponse } },
    },
    async (req, reply) => {
      // Per account, before the password is checked (signin-guard.ts): the same for an unknown email.
      const { retryAfterMs } = await reserveSignIn(ctx.db, req.body.email, ctx.clock.now());
      if (retryAfterMs > 0) {
        const seconds = Math.ceil(retryAfterMs / 1000);
        reply.header("retry-after", String(seconds));
        throw new OkroError("RATE_LIMIT_EXCEEDED", `Too many failed sign-ins for this email; retry in ${describeMs(seconds * 1000)} (Retry-After)`);
      }
      const { session: s, ...account } = await logIn(ctx.db, req.body, ctx.clock.now());
      await clearSignIn(ctx.db, req.body.email);
      startSession(reply, s);
      return ok("Logged in", account);
    },
  );

  app.post(
    "/logout",
    { schema: { tags, summary: "Sign out (ends the session, if any, and clears the cookie)", security: [], body: EmptyBody, response: { 200: LogoutResponse } } },
    async (req, reply) => {
      const token = req.cookies[SESSION_COOKIE];
      if (token) await endSession(ctx.db, token);
      reply.clearCookie(SESSION_COOKIE, cookieOptions);
      return ok("Logged out", {});
    },
  );

  // Public dashboard API modules (password reset, invitations): no session, rate-limited like login.
  for (const module of dashboardPublicApiModules) await app.register(module, { ctx });

  await app.register(async (authed) => {
    authed.addHook("onRequest", requireSession(ctx));
    authed.addHook("onRoute", (route) => {
      route.schema = { ...route.schema, tags, security: session };
    });
    await authed.register(accountRoutes, { ctx });
    for (const module of dashboardApiModules) await authed.register(module, { ctx });
  });
};

function requireSession(ctx: AppContext) {
  return async (req: FastifyRequest) => {
    const token = req.cookies[SESSION_COOKIE];
    const principal = token ? await resolveSession(ctx.db, token, ctx.clock.now()) : null;
    if (!principal) {
      throw new OkroError("UNAUTHORIZED", "session: not logged in, or the session expired; log in with POST /dashboard/api/login", {
        field: SESSION_COOKIE,
      });
    }
    req.dashboard = principal;
  };
}

/** Idempotency scope of a dashboard user's mutations: their company (both environments). */

/** Session-authenticated routes: the account, keys, client tokens, apps. */
const accountRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get("/me", { schema: { summary: "The signed-in user, their company, and each environment's client token and keys", response: { 200: MeResponse } } }, async (req) => {
    return ok("Account retrieved", await accountOverview(ctx.db, req.dashboard, ctx.clock.now()));
  });

  // ----- keys --------------------------------------------------------------------------------
  app.get("/keys", { schema: { summary: "List API keys (never the keys themselves)", querystring: ListKeysQuery, response: { 200: ListKeysResponse } } }, async (req) => {
    const keys = await listKeys(ctx.db, req.dashboard.companyId, ctx.clock.now());
    return ok("Keys retrieved", { keys: req.query.env ? keys.filter((k) => k.env === req.query.env) : keys });
  });

  app.post(
    "/keys/rotate",
    {
      schema: {
        summary: "Issue a new key and retire the current one (at once, or after a grace period)",
        description:
          "The new key is in this response only. With an Idempotency-Key, a repeat does not rotate again (which would retire the key a lost response carried): it answers 409 CONFLICT naming the key that was issued, since the key itself is never stored in clear.",
        body: RotateKeyBody,
        response: { 200: RotateKeyResponse },
      },
    },
    async (req, reply) => {
      requireRole(req.dashboard.role, "developer", "rotate API keys");
      return runMutation(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
        const rotated = await rotateEnvironmentKey(trx, req.dashboard.companyId, req.body, ctx.clock.now());
        const issued = rotated.key;
        await audit(trx, userActor(req.dashboard), { companyId: req.dashboard.companyId, env: req.body.env, action: "key.rotated", objectType: "api_key", objectId: issued.id, detail: { kind: req.body.kind, display_prefix: issued.display_prefix, retired_key_ids: rotated.retired_key_ids, grace_seconds: req.body.grace_seconds } }, ctx.clock.now());
        return {
          body: ok("Key rotated; store the new key now, it is not shown again", rotated),
          replayAs: {
            statusCode: ERROR_STATUS.CONFLICT,
            body: errorBody(
              "CONFLICT",
              `Idempotency-Key: this rotation already happened; it issued key ${issued.id} (${issued.display_prefix}…), which was shown only in the first response. Rotate again with a new key if it was lost.`,
              { key_id: issued.id, display_prefix: issued.display_prefix },
            ),
          },
        };
      }) as Promise<z.infer<typeof RotateKeyResponse>>;
    },
  );

  app.post("/keys/revoke", { schema: { summary: "Revoke a key at once", body: RevokeKeyBody, response: { 200: RevokeKeyResponse } } }, async (req, reply) => {
    requireRole(req.dashboard.role, "developer", "revoke API keys");
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      const key = await revokeCompanyKey(trx, req.dashboard.companyId, req.body.id, ctx.clock.now());
      await audit(trx, userActor(req.dashboard), { companyId: req.dashboard.companyId, env: key.env, action: "key.revoked", objectType: "api_key", objectId: key.id, detail: { kind: key.kind, display_prefix: key.display_prefix } }, ctx.clock.now());
      return ok("Key revoked", { key });
    });
  });

  app.post(
    "/client-token/rotate",
    { schema: { summary: "Replace an environment's client token (the widget's `token`)", body: RotateClientTokenBody, response: { 200: RotateClientTokenResponse } } },
    async (req, reply) => {
      requireRole(req.dashboard.role, "developer", "rotate client tokens");
      return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
        await audit(trx, userActor(req.dashboard), { companyId: req.dashboard.companyId, env: req.body.env, action: "client_token.rotated" }, ctx.clock.now());
        return ok("Client token rotated", await rotateCompanyClientToken(trx, req.dashboard.companyId, req.body.env, ctx.clock.now()));
      });
    },
  );

  // ----- apps: the same service as /v2/apps/*, with the environment chosen in the dashboard -----
  app.get("/apps", { schema: { summary: "List an environment's apps", querystring: DashboardListAppsQuery, response: { 200: ListAppsResponse } } }, async (req) => {
    const { env, page, limit } = req.query;
    return ok("Apps retrieved", await listApps(ctx.db, { companyId: req.dashboard.companyId, env }, page, limit));
  });

  app.get(
    "/apps/:id",
    { schema: { summary: "Get one app", params: DashboardGetAppParams, querystring: DashboardGetAppQuery, response: { 200: AppResponse } } },
    async (req) => {
      return ok("App retrieved", { app: await getApp(ctx.db, { companyId: req.dashboard.companyId, env: req.query.env }, req.params.id) });
    },
  );

  app.post("/apps/create", { schema: { summary: "Create an app (widget configuration)", body: DashboardCreateAppBody, response: { 200: AppResponse } } }, async (req, reply) => {
    requireRole(req.dashboard.role, "developer", "create apps");
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      const { env, ...fields } = req.body;
      return ok("App created", { app: await createApp(trx, { companyId: req.dashboard.companyId, env }, fields, ctx.clock.now(), ctx.secrets) });
    });
  });

  app.post("/apps/update", { schema: { summary: "Change an app's settings", body: DashboardUpdateAppBody, response: { 200: AppResponse } } }, async (req, reply) => {
    requireRole(req.dashboard.role, "developer", "change apps");
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      const { env, id, ...patch } = req.body;
      return ok("App updated", { app: await updateApp(trx, { companyId: req.dashboard.companyId, env }, id, patch, ctx.clock.now(), ctx.secrets) });
    });
  });

  app.post("/apps/delete", { schema: { summary: "Delete an app", body: DashboardAppIdBody, response: { 200: AppResponse } } }, async (req, reply) => {
    requireRole(req.dashboard.role, "developer", "delete apps");
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) =>
      ok("App deleted", { app: await deleteApp(trx, { companyId: req.dashboard.companyId, env: req.body.env }, req.body.id) }),
    );
  });
};

