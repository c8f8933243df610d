import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { OkroError } from "../core/errors.js";
import { describeMs, postgresRateLimitStore } from "../http/rate-limit.js";
import { sha256Hex } from "../lib/secrets.js";
import { parseJsonBody, validatorCompiler } from "../http/validation.js";
import {
  AuthoriseMandateBody,
  AuthorisePaymentBody,
  CancelPaymentBody,
  ConnectBody,
  CreateMandateBody,
  CreatePaymentBody,
  CreateSessionBody,
  LoginBody,
  MfaBody,
  PaymentParams,
  WithdrawMandateBody,
} from "./api-schemas.js";
import { listSessionBanks } from "./banks.js";
import { connect } from "./connect.js";
import { answerMfa, login } from "./login.js";
import { authoriseWidgetMandate, createWidgetMandate, mandateMode, pollWidgetMandate } from "./mandates.js";
import type { WidgetModes } from "./mode.js";
import { createSession } from "./open.js";
import { authoriseWidgetPayment, cancelWidgetPayment, createWidgetPayment, paymentMode, pollWidgetPayment, quickPay } from "./payments.js";
import { listPayerMandates, payerMode, withdrawPayerMandate } from "./payer.js";
import type { BanksResponse, ConnectResponse, CreateSessionResponse, LoginResponse, MandateResponse, PayerMandatesResponse, PaymentResponse, WidgetMandate } from "./protocol.js";
import { resolveSession, type WidgetSession } from "./session.js";

/** The okra-js options may carry an inline logo (≤ 100 KB as a data URL) and a free `options` object. */
const SESSION_BODY_LIMIT_BYTES = 256 * 1024;
/** Everything else the widget sends is a few short fields. */
const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * Per client address and merchant, counted in PostgreSQL (shared by every process). The widget's
 * inputs come from public pages: a public key is enough to open sessions (which recognise
 * returning customers by a hint) and to try bank logins, so both are bounded per address: far
 * above what a person does (a few sessions, a few logins), far below a script's pace.
 */
export const WIDGET_RATE_WINDOW_MS = 60_000;
export const SESSIONS_PER_WINDOW = 30;
export const BANK_TRIES_PER_WINDOW = 30;
/**
 * A payment the bank has not decided yet is polled (every 2 s by the widget, for up to a couple of
 * minutes): generous for one person, and bounded.
 */
export const PAYMENT_POLLS_PER_WINDOW = 120;

/**
 * The modes a widget session may be opened in (mode.ts): this file is the one place that knows
 * them all; the session layers get the list and never import a mode.
 */
export const WIDGET_MODES: WidgetModes = [mandateMode, paymentMode, payerMode];

/** The widget's backend session API (`/api/*` on the widget origin); see protocol.ts. */
export async function registerWidgetApi(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(widgetApi, { ctx, prefix: "/api" });
}

const sessions = new WeakMap<FastifyRequest, WidgetSession>();
const sessionOf = (req: FastifyRequest): WidgetSession => {
  const session = sessions.get(req);
  if (!session) throw new Error("widget api: route registered outside the session scope");
  return session;
};

const widgetApi: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (api, { ctx }) => {
  // Scoped to /api: zod validation answering in the envelope with the field named, and the
  // API's JSON parser (refuses prototype-pollution keys, names where a malformed body broke).
  api.setValidatorCompiler(validatorCompiler);
  api.removeContentTypeParser("application/json");
  api.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as OkroError, undefined);
    }
  });
  // Session tokens, personal data and bank answers: never cached anywhere.
  api.addHook("onSend", async (_req, reply) => {
    reply.header("cache-control", "no-store");
  });

  await api.register(rateLimit, {
    global: false,
    store: postgresRateLimitStore(ctx, "widget"),
    // After parsing and the session lookup: the key names the merchant (public key, short link or
    // the session's company), so one merchant's busy checkout never throttles another's.
    hook: "preHandler",
    enableDraftSpec: true,
    errorResponseBuilder: (_req, context) =>
      new OkroError("RATE_LIMIT_EXCEEDED", `Too many tries from this address: at most ${context.max} per ${describeMs(WIDGET_RATE_WINDOW_MS)}; retry in ${context.after}`),
  });
  const perMerchant = (kind: string, max: number, merchant: (req: FastifyRequest) => string) => ({
    rateLimit: { max, timeWindow: WIDGET_RATE_WINDOW_MS, keyGenerator: (req: FastifyRequest) => `${kind}:${sha256Hex(merchant(req)).slice(0, 32)}:ip:${req.ip}` },
  });
  const sessionsLimit = perMerchant("sessions", SESSIONS_PER_WINDOW, (req) => {
    const body = (req.body ?? {}) as { key?: unknown; short_url?: unknown; ref?: unknown };
    return String(body.key ?? body.short_url ?? body.ref ?? "");
  });
  const bankLimit = perMerchant("bank", BANK_TRIES_PER_WINDOW, (req) => sessionOf(req).row.company_id);
  const pollLimit = perMerchant("poll", PAYMENT_POLLS_PER_WINDOW, (req) => sessionOf(req).row.company_id);

  api.post("/sessions", { schema: { body: CreateSessionBody }, bodyLimit: SESSION_BODY_LIMIT_BYTES, config: sessionsLimit }, async (req) => {
    const data: CreateSessionResponse = await createSession(ctx, req.body, WIDGET_MODES);
    return ok("Widget session started", data);
  });

  const authedRoutes: FastifyPluginAsyncZod = async (authed) => {
    // Before the body is read or validated: an expired session is a 401 whatever it sent.
    authed.addHook("onRequest", async (req, reply) => {
      const session = await resolveSession(ctx, req.headers.authorization);
      sessions.set(req, session);
      // Each use extends the session: the widget learns the new deadline here.
      reply.header("x-session-expires-at", session.row.expires_at.toISOString());
    });

    authed.get("/banks", async (req) => {
      const data: BanksResponse = { banks: await listSessionBanks(ctx, sessionOf(req), WIDGET_MODES) };
      return ok("Banks retrieved successfully", data);
    });

    authed.post("/login", { schema: { body: LoginBody }, bodyLimit: BODY_LIMIT_BYTES, config: bankLimit }, async (req) => {
      const data: LoginResponse = await login(ctx, sessionOf(req), req.body, WIDGET_MODES);
      return ok(data.step === "mfa" ? "The bank asks for a second factor" : "Logged in; choose the accounts to share", data);
    });

    authed.post("/mfa", { schema: { body: MfaBody }, bodyLimit: BODY_LIMIT_BYTES, config: bankLimit }, async (req) => {
      const data: LoginResponse = await answerMfa(ctx, sessionOf(req), req.body);
      return ok(data.step === "mfa" ? "The bank asks for another code" : "Logged in; choose the accounts to share", data);
    });

    authed.post("/connect", { schema: { body: ConnectBody }, bodyLimit: BODY_LIMIT_BYTES }, async (req) => {
      const data: ConnectResponse = await connect(ctx, sessionOf(req), req.body, WIDGET_MODES);
      return ok(data.consents.length > 0 ? "Account connected, with payment consent" : "Account connected", data);
    });

    // ---- payment mode (payments.ts) ----

    authed.post("/quick-pay", { bodyLimit: BODY_LIMIT_BYTES, config: bankLimit }, async (req) => {
      const data: LoginResponse = await quickPay(ctx, sessionOf(req));
      return ok(data.step === "mfa" ? "The bank asks for a code first" : "Ready to pay from the saved account", data);
    });

    authed.post("/payments", { schema: { body: CreatePaymentBody }, bodyLimit: BODY_LIMIT_BYTES, config: bankLimit }, async (req) => {
      const data: PaymentResponse = await createWidgetPayment(ctx, sessionOf(req), req.body);
      return ok("Payment created; authorise it with your OTP or PIN", data);
    });

    authed.post("/payments/authorise", { schema: { body: AuthorisePaymentBody }, bodyLimit: BODY_LIMIT_BYTES, config: bankLimit }, async (req, reply) => {
      const data: PaymentResponse = await authoriseWidgetPayment(ctx, sessionOf(req), req.body);
      // The bank has not decided (pending, or no answer in time): accepted, poll for the result.
      const decided = data.payment.state !== "processing" && data.payment.state !== "unknown";
      if (!decided) reply.code(202);
      return ok(decided ? "Payment authorised" : "Payment authorised; the bank is confirming it", data);
    });

    authed.get("/payments/:id", { schema: { params: PaymentParams }, config: pollLimit }, async (req) => {
      const data: PaymentResponse = await pollWidgetPayment(ctx, sessionOf(req), req.params.id);
      return ok("Payment retrieved", data);
    });

    authed.post("/payments/cancel", { schema: { body: CancelPaymentBody }, bodyLimit: BODY_LIMIT_BYTES, config: bankLimit }, async (req) => {
      const data: PaymentResponse = await cancelWidgetPayment(ctx, sessionOf(req), req.body);
      return ok("Payment cancelled", data);
    });

    // ---- mandate mode (mandates.ts) ----

    authed.post("/mandates", { schema: { body: CreateMandateBody }, bodyLimit: BODY_LIMIT_BYTES, config: bankLimit }, async (req) => {
      const data: MandateResponse = await createWidgetMandate(ctx, sessionOf(req), req.body);
      return ok("Authorisation created; confirm it with your OTP or PIN", data);
    });

    authed.post("/mandates/authorise", { schema: { body: AuthoriseMandateBody }, bodyLimit: BODY_LIMIT_BYTES, config: bankLimit }, async (req) => {
      const data: MandateResponse = await authoriseWidgetMandate(ctx, sessionOf(req), req.body);
      return ok(data.mandate.status === "active" ? "Authorised; the debits are set up" : "Authorised; your bank is activating it", data);
    });

    authed.get("/mandates/:id", { schema: { params: PaymentParams }, config: pollLimit }, async (req) => {
      const data: MandateResponse = await pollWidgetMandate(ctx, sessionOf(req), req.params.id);
      return ok("Authorisation retrieved", data);
    });

    // ---- the payer's page (payer.ts) ----

    authed.get("/payer/mandates", { config: pollLimit }, async (req) => {
      const data: PayerMandatesResponse = await listPayerMandates(ctx, sessionOf(req));
      return ok("Your authorisations with this business", data);
    });

    authed.post("/payer/mandates/withdraw", { schema: { body: WithdrawMandateBody }, bodyLimit: BODY_LIMIT_BYTES, config: bankLimit }, async (req) => {
      const data: { mandate: WidgetMandate } = { mandate: await withdrawPayerMandate(ctx, sessionOf(req), req.body) };
      return ok("Authorisation withdrawn; nothing more will be debited", data);
    });
  };
  await api.register(authedRoutes);
};
