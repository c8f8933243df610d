import { randomUUID } from "node:crypto";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from "fastify";
import { errorBody } from "../core/envelope.js";
import { ERROR_STATUS, OkroError, type ErrorCode } from "../core/errors.js";

/**
 * What every Okro listener (the API origin and the widget origin) does the same way: request
 * ids, the Okra error envelope for everything — including Fastify's own framework errors (a
 * malformed URL) and requests that arrive while we shut down — and unknown routes.
 */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Construction options: honour a caller's sane X-Request-Id, so ids can be followed across services. */
export const requestIdOptions = {
  requestIdHeader: false,
  genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
    const incoming = req.headers["x-request-id"];
    return typeof incoming === "string" && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
  },
  // We answer 503 ourselves, in the envelope (see below).
  return503OnClosing: false,
  frameworkErrors: (error: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    reply.header("x-request-id", req.id);
    void sendError(error, req, reply);
  },
} satisfies Partial<FastifyServerOptions>;

export function applyHttpBasics(app: FastifyInstance): void {
  // Bodies are JSON (or, on /v2, form-encoded): Fastify's built-in text/plain parser would hand a
  // route a string that then fails validation as a 400. Without it, any other type is a 415
  // UNSUPPORTED_MEDIA_TYPE, as the README promises.
  app.removeContentTypeParser("text/plain");
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onRequest", async (req, reply) => {
    reply.header("x-request-id", req.id);
    if (closing) {
      // In-flight requests finish; a new one on a kept-alive connection is told to go elsewhere.
      reply.header("connection", "close");
      throw new OkroError("SERVICE_UNAVAILABLE", "This Okro process is shutting down; retry the request");
    }
  });
  app.setErrorHandler(sendError);
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(errorBody("NOT_FOUND", `Route ${req.method} ${req.url.split("?")[0]} not found`, { request_id: req.id }));
  });
}

/** Maps Fastify's own client errors onto our closed list. */
function codeForFastifyError(error: FastifyError): ErrorCode {
  switch (error.code) {
    case "FST_ERR_BAD_URL":
      return "INVALID_FIELD";
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "PAYLOAD_TOO_LARGE";
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return "UNSUPPORTED_MEDIA_TYPE";
    default:
      break;
  }
  switch (error.statusCode) {
    case 401:
      return "UNAUTHORIZED";
    case 403:
      return "FORBIDDEN";
    case 404:
      return "NOT_FOUND";
    case 405:
      return "METHOD_NOT_ALLOWED";
    case 413:
      return "PAYLOAD_TOO_LARGE";
    case 415:
      return "UNSUPPORTED_MEDIA_TYPE";
    case 429:
      return "RATE_LIMIT_EXCEEDED";
    case 503:
      return "SERVICE_UNAVAILABLE";
    default:
      return "INVALID_BODY";
  }
}

/**
 * The one error handler: OkroErrors as they are; Fastify's client errors mapped; anything else
 * a logged 500 that leaks nothing but the request id.
 */
function sendError(error: FastifyError | OkroError, req: FastifyRequest, reply: FastifyReply) {
  if (error instanceof OkroError) {
    if (error.statusCode >= 500 && error.code !== "SERVICE_UNAVAILABLE") req.log.error({ err: error }, "request failed");
    return reply.code(error.statusCode).send(errorBody(error.code, error.message, { ...error.data, request_id: req.id }));
  }
  const status = typeof error.statusCode === "number" ? error.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = codeForFastifyError(error);
    const message =
      error.code === "FST_ERR_BAD_URL"
        ? "url: malformed (invalid percent-encoding)"
        : code === "INVALID_BODY"
          ? `body: ${error.message}`
          : error.message;
    return reply.code(ERROR_STATUS[code]).send(errorBody(code, message, { request_id: req.id }));
  }
  req.log.error({ err: error }, "unhandled error");
  return reply
    .code(500)
    .send(errorBody("INTERNAL_ERROR", `Something went wrong on our side; quote request id ${req.id} if you contact support`, { request_id: req.id }));
}
