import { isConnectorError, type ConnectorError } from "../banks/connector.js";
import { OkroError, type ErrorCode } from "../core/errors.js";

/**
 * The errors the widget shows (protocol.ts lists their `data.reason`s): every widget layer — the
 * session store, login, connect, the modes — answers through these, in Okra's envelope.
 */

export const failure = (code: ErrorCode, message: string, data: Record<string, unknown> = {}, field?: string) =>
  new OkroError(code, message, { ...(field ? { field } : {}), data: { ...(field ? { field } : {}), ...data } });

export const invalidKey = (field: string, message: string) => failure("UNAUTHORIZED", `${field}: ${message}`, { reason: "invalid_key" }, field);
export const sessionExpired = (message = "the widget session has expired or is unknown; start again") =>
  failure("UNAUTHORIZED", message, { reason: "session_expired" });
export const conflict = (message: string) => failure("CONFLICT", message);
/** A compare-and-set on the session's step lost: another tab or click moved it first. */
export const movedOn = () => conflict("this widget session has moved on (another tab or click); reload the widget");

/**
 * What a bank's refusal means to the person in front of the widget. Connector messages carry no
 * secrets (connector.ts), so the bank's own words may be shown after ours.
 */
export function widgetBankError(error: ConnectorError, bankName: string): OkroError {
  const tries = (n: number | undefined) => (n === undefined ? "" : ` (${n} ${n === 1 ? "try" : "tries"} left)`);
  switch (error.kind) {
    case "retryable":
    case "rate_limited": {
      const wait = error.retryAfterMs;
      return failure("SERVICE_UNAVAILABLE", `${bankName} is not answering at the moment; try again later or choose another bank`, {
        reason: "bank_down",
        retry_after_ms: wait ?? null,
      });
    }
    case "timeout":
      return failure("SERVICE_UNAVAILABLE", `${bankName} did not answer in time; try again`, { reason: "bank_timeout" });
    case "not_supported":
      return failure("UNPROCESSABLE", `${bankName} does not support this: ${error.message}`, { reason: "not_supported" });
    case "rejected":
      switch (error.reason) {
        case "invalid_credentials":
          return failure("UNPROCESSABLE", `The login details are not correct${tries(error.attemptsLeft)}`, {
            reason: "invalid_credentials",
            attempts_left: error.attemptsLeft ?? null,
          });
        case "locked":
          return failure("UNPROCESSABLE", `${bankName} has locked this login: ${error.message}`, { reason: "locked" });
        case "invalid_otp":
          return failure("UNPROCESSABLE", `That code or answer is not correct${tries(error.attemptsLeft)}`, {
            reason: "invalid_otp",
            attempts_left: error.attemptsLeft ?? null,
          });
        case "mfa_expired":
          return failure("UNPROCESSABLE", `The code has expired; log in to ${bankName} again`, { reason: "mfa_expired" });
        case "session_expired":
          return failure("UNPROCESSABLE", `The connection to ${bankName} has lapsed; log in again`, { reason: "bank_session_expired" });
        case "invalid_request":
          return failure("INVALID_FIELD", `${bankName} refused the request: ${error.message}`, {}, error.field);
        default:
          return failure("UNPROCESSABLE", `${bankName} refused the request: ${error.message}`);
      }
  }
}

export function bankFailure(error: unknown, bankName: string): unknown {
  return isConnectorError(error) ? widgetBankError(error, bankName) : error;
}
