import { expect } from "vitest";
import type { ErrorCode } from "../../src/core/errors.js";

/** What the harness's `request` resolves to, as far as these assertions need. */
export interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  json<T = any>(): T;
}

/**
 * Asserts Okra's error envelope: the HTTP status, exactly `{status:"error", error, message, data}`
 * with a non-empty message, and an `x-request-id` header that `data.request_id` repeats.
 */
export function expectError(res: Answer, status: number, code: ErrorCode): { message: string; data: Record<string, unknown> } {
  const shown = `${res.statusCode} ${res.body.slice(0, 500)}`;
  expect(res.statusCode, shown).toBe(status);
  expect(String(res.headers["content-type"]), shown).toMatch(/^application\/json/);
  const body = res.json();
  expect(Object.keys(body).sort(), shown).toEqual(["data", "error", "message", "status"]);
  expect(body.status, shown).toBe("error");
  expect(body.error, shown).toBe(code);
  expect(typeof body.message, shown).toBe("string");
  expect(body.message.length, shown).toBeGreaterThan(0);
  expect(typeof body.data === "object" && body.data !== null && !Array.isArray(body.data), shown).toBe(true);
  const requestId = res.headers["x-request-id"];
  expect(typeof requestId, shown).toBe("string");
  expect(body.data.request_id, shown).toBe(requestId);
  return { message: body.message, data: body.data };
}

/** Asserts Okra's success envelope `{status:"success", message, data}` and an `x-request-id`. */
export function expectSuccess<T = any>(res: Answer, status = 200): T {
  const shown = `${res.statusCode} ${res.body.slice(0, 500)}`;
  expect(res.statusCode, shown).toBe(status);
  const body = res.json();
  expect(Object.keys(body).sort(), shown).toEqual(["data", "message", "status"]);
  expect(body.status, shown).toBe("success");
  expect(typeof body.message, shown).toBe("string");
  expect(typeof res.headers["x-request-id"], shown).toBe("string");
  return body.data as T;
}
