import { setTimeout as sleep } from "node:timers/promises";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { LoggerOptions } from "pino";
import { CONNECTOR_OPERATIONS, ConnectorError, MUTATING_OPERATIONS, isConnectorError, type ConnectorOperation } from "../connector.js";
import { loggerOptions } from "../../core/logging.js";
import { MAX_REALM_LENGTH, SandboxAdminError, type CustomerInput, type FaultSettings, type OpRequest, type SandboxEngine } from "./types.js";
import { faultRefusal } from "./in-process.js";
import { REALM_HEADER, fromWire, toWire } from "./wire.js";

/**
 * The sandbox bank network as an HTTP service (`okro sandbox-bank`): what a real bank's API is to
 * a real connector. `HttpConnector` and `HttpSandboxAdmin` (./http-connector.ts) are its clients.
 *
 * Bank calls: `POST /v1/banks/:bankId/:operation`, the realm in `x-sandbox-realm`, the request as
 * a JSON body in the wire encoding of `./wire.ts` (secrets as `{"$secret": …}`). Answers:
 * `200 {ok: true, result}`, or `{ok: false, error}` with the ConnectorError's JSON — 429 for
 * `rate_limited`, 503 for `retryable`, 400 for `invalid_request`, 422 for any other refusal
 * (both with `Retry-After` when the error says when). Unknown bank or operation: 404
 * (`not_supported`). A 500 (`retryable`) is a bug in the sandbox bank.
 *
 * Faults happen on the socket, as they would on the internet: latency is a late answer, a
 * timeout is a connection held without an answer (until the client gives up or the server
 * closes), a lost response is a connection closed after the operation ran, an error is a 503.
 *
 * Admin calls (`/v1/admin/…`, one per `SandboxAdmin` method) answer `{ok: true, result}` or, for a
 * refused request, `{ok: false, adminError: {code, message, field}}` with 400, 404 or 409.
 *
 * Bodies carry passwords, OTPs, PINs and session tokens: they are never logged.
 */

export interface SandboxBankServerOptions {
  /**
   * `false` (default) logs nothing; `true` logs at `info`; an object is pino options over the
   * project's defaults (e.g. `{ level: "warn" }`). Redaction and the path-only request
   * serializer always apply.
   */
  logger?: boolean | LoggerOptions;
}

const OPERATIONS: ReadonlySet<string> = new Set(CONNECTOR_OPERATIONS);
/** Printable ASCII, as long as the engine accepts (MAX_REALM_LENGTH). */
const REALM_PATTERN = new RegExp(`^[\\x21-\\x7e]{1,${MAX_REALM_LENGTH}}$`);

const ADMIN_STATUS: Record<SandboxAdminError["code"], number> = { INVALID_FIELD: 400, NOT_FOUND: 404, CONFLICT: 409 };

type Body = Record<string, unknown>;

/**
 * Builds the sandbox bank's HTTP server over an engine. Not listening yet: call `listen`. Its
 * `close()` never waits for held (timed-out) connections: it drops them.
 */
export function buildSandboxBankServer(engine: SandboxEngine, options: SandboxBankServerOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: sandboxLogger(options.logger ?? false),
    // While closing we answer 503 ourselves, with a body HttpConnector understands.
    return503OnClosing: false,
  });

  /** Calls in progress; each is aborted when the server closes (a held call is then dropped). */
  const inFlight = new Set<AbortController>();
  let closing = false;

  app.addHook("preClose", async () => {
    closing = true;
    for (const call of inFlight) call.abort();
  });
  app.addHook("onRequest", async (_request, reply) => {
    if (closing) {
      reply.header("connection", "close");
      return reply.code(503).send(failure(shuttingDown()));
    }
  });

  app.setErrorHandler((error: FastifyError | SandboxAdminError, request, reply) => {
    const admin = request.url.startsWith("/v1/admin/");
    if (error instanceof SandboxAdminError) {
      return reply.code(ADMIN_STATUS[error.code]).send(adminFailure(error));
    }
    const status = typeof error.statusCode === "number" ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      // Fastify's own refusals: malformed JSON, wrong content type, body too large.
      const message = `body: ${error.message}`;
      return reply
        .code(status)
        .send(admin ? adminFailure(new SandboxAdminError("INVALID_FIELD", message, "body")) : failure(invalidRequestError("body", message)));
    }
    request.log.error({ err: error }, "sandbox bank request failed");
    const op = (request.params as { operation?: string } | undefined)?.operation;
    return reply.code(500).send(failure(internalError(MUTATING_OPERATIONS.has(op as ConnectorOperation))));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ ok: false, message: `no route ${request.method} ${request.url.split("?")[0]}` });
  });

  app.get("/health", async () => ({ ok: true }));

  // ---------------------------------------------------------------------------------------------
  // Bank calls
  // ---------------------------------------------------------------------------------------------

  app.post<{ Params: { bankId: string; operation: string } }>("/v1/banks/:bankId/:operation", async (request, reply) => {
    const { bankId, operation } = request.params;
    if (!engine.profile(bankId)) {
      return reply.code(404).send(failure(new ConnectorError("not_supported", "no such bank in the sandbox network")));
    }
    if (!OPERATIONS.has(operation)) {
      return reply.code(404).send(failure(new ConnectorError("not_supported", "no such connector operation")));
    }
    const op = operation as ConnectorOperation;
    const realm = realmOf(request);
    if (realm === undefined) {
      return reply.code(400).send(failure(invalidRequestError(REALM_HEADER, `the ${REALM_HEADER} header is required`)));
    }
    if (!isPlainObject(request.body)) {
      return reply.code(400).send(failure(invalidRequestError("request", "must be a JSON object")));
    }
    const input = fromWire(request.body) as OpRequest<ConnectorOperation>;

    const call = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) call.abort();
    };
    reply.raw.once("close", onClose);
    inFlight.add(call);
    // Closing began while this request was on its way in: hold nothing, sleep nothing.
    if (closing) call.abort();
    try {
      const plan = await engine.planFault(realm, bankId, op);
      if (plan.delayMs > 0) {
        const waited = await sleep(plan.delayMs, true, { signal: call.signal }).catch(() => false);
        if (!waited) {
          // Nothing happened. If the client went away there is no one to tell.
          if (!closing) return reply.hijack();
          reply.header("connection", "close");
          return reply.code(503).send(failure(shuttingDown()));
        }
      }
      const run = () => engine.run(realm, bankId, op, input);
      switch (plan.outcome) {
        case "none":
          return success(reply, await run());
        case "error":
        case "down":
        case "rate_limited":
          return sendConnectorError(reply, faultRefusal(plan.outcome, plan));
        case "lost_response":
          if (MUTATING_OPERATIONS.has(op)) {
            // The bank acts; the answer, whatever it was, is lost with the connection.
            await run().catch(() => undefined);
            reply.hijack();
            request.raw.socket.destroy();
            return reply;
          }
          return hold(request, reply, call.signal);
        case "timeout":
          return hold(request, reply, call.signal);
      }
    } catch (error) {
      if (isConnectorError(error)) return sendConnectorError(reply, error);
      throw error;
    } finally {
      inFlight.delete(call);
      reply.raw.off("close", onClose);
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Admin
  // ---------------------------------------------------------------------------------------------

  const { admin } = engine;
  app.get("/v1/admin/banks", async () => ({ ok: true, result: admin.banks() }));

  /** A realm-scoped admin route: `POST /v1/admin/<path>` answering `{ok: true, result}`. */
  const adminRoute = (path: string, handle: (realm: string, body: Body) => Promise<unknown>) =>
    app.post(`/v1/admin/${path}`, async (request) => {
      const realm = realmOf(request);
      if (realm === undefined) throw new SandboxAdminError("INVALID_FIELD", `the ${REALM_HEADER} header is required`, REALM_HEADER);
      const body = request.body ?? {};
      if (!isPlainObject(body)) throw new SandboxAdminError("INVALID_FIELD", "must be a JSON object", "body");
      return { ok: true, result: (await handle(realm, body)) ?? null };
    });

  adminRoute("customers/create", (realm, body) => {
    const customers = field(body, "customers", "an array of customer objects", (v): v is CustomerInput[] => Array.isArray(v) && v.every(isPlainObject));
    return admin.createCustomers(realm, customers);
  });
  adminRoute("customers/generate", (realm, body) => admin.generateCustomers(realm, field(body, "count", "a number", isNumber)));
  adminRoute("customers/list", (realm, body) =>
    admin.listCustomers(realm, field(body, "page", "a number", isNumber), field(body, "limit", "a number", isNumber)),
  );
  adminRoute("customers/get", (realm, body) => admin.getCustomer(realm, field(body, "id", "a string", isString)));
  adminRoute("faults/get", (realm) => admin.getFaults(realm));
  adminRoute("faults/set", (realm, body) =>
    admin.setFaults(
      realm,
      field(body, "bankId", "a string", isString),
      field(body, "settings", "an object", (v): v is FaultSettings => isPlainObject(v)),
    ),
  );
  adminRoute("faults/clear", (realm, body) =>
    admin.clearFaults(realm, body.bankId === undefined ? undefined : field(body, "bankId", "a string", isString)),
  );
  adminRoute("clock/get", (realm) => admin.getClock(realm));
  adminRoute("clock/advance", (realm, body) => admin.advanceClock(realm, field(body, "ms", "a number", isNumber)));

  return app;
}

/**
 * Holds a call without answering, as a bank that never responds: until the client gives up or
 * the server closes, then drops the connection.
 */
async function hold(request: FastifyRequest, reply: FastifyReply, released: AbortSignal): Promise<FastifyReply> {
  reply.hijack();
  if (!released.aborted) {
    await new Promise((resolve) => released.addEventListener("abort", resolve, { once: true }));
  }
  request.raw.socket.destroy();
  return reply;
}

function success(reply: FastifyReply, result: unknown): FastifyReply {
  return reply.code(200).send({ ok: true, result: toWire(result) });
}

function sendConnectorError(reply: FastifyReply, error: ConnectorError): FastifyReply {
  if (error.retryAfterMs !== undefined) reply.header("retry-after", String(Math.ceil(error.retryAfterMs / 1000)));
  return reply.code(statusOf(error)).send(failure(error));
}

function statusOf(error: ConnectorError): number {
  switch (error.kind) {
    case "rate_limited":
      return 429;
    case "retryable":
      return 503;
    case "rejected":
      return error.reason === "invalid_request" ? 400 : 422;
    case "timeout":
    case "not_supported":
      return 422;
  }
}

const failure = (error: ConnectorError) => ({ ok: false, error: error.toJSON() });
const adminFailure = (error: SandboxAdminError) => ({
  ok: false,
  adminError: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) },
});
const invalidRequestError = (field: string, message: string) =>
  new ConnectorError("rejected", `${field}: ${message}`, { reason: "invalid_request", field });
const shuttingDown = () => new ConnectorError("retryable", "the sandbox bank is shutting down; nothing was done");
/** A bug or database failure: for money movements the outcome is unknown (`timeout`: re-query). */
const internalError = (mutating = false) =>
  mutating ? new ConnectorError("timeout", "sandbox bank internal error; the outcome is unknown") : new ConnectorError("retryable", "sandbox bank internal error");

function realmOf(request: FastifyRequest): string | undefined {
  const realm = request.headers[REALM_HEADER];
  return typeof realm === "string" && REALM_PATTERN.test(realm) ? realm : undefined;
}

/** A field of an admin body, checked; refused as INVALID_FIELD naming it. */
function field<T>(body: Body, name: string, expected: string, check: (value: unknown) => value is T): T {
  const value = body[name];
  if (!check(value)) throw new SandboxAdminError("INVALID_FIELD", `${name}: must be ${expected}`, name);
  return value;
}

const isNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);
const isString = (value: unknown): value is string => typeof value === "string";

function isPlainObject(value: unknown): value is Body {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sandboxLogger(logger: boolean | LoggerOptions): false | LoggerOptions {
  if (logger === false) return false;
  const defaults = loggerOptions(logger === true ? "info" : (logger.level ?? "info"));
  const overrides = logger === true ? {} : logger;
  return { ...defaults, ...overrides, redact: defaults.redact, serializers: defaults.serializers, base: { service: "okro-sandbox-bank" } };
}
