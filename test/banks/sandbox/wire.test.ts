import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ConnectorError, Secret, type DebitRequest, type LoginResult } from "../../../src/banks/connector.js";
import { connectorErrorFromWire, fromWire, toWire } from "../../../src/banks/sandbox/wire.js";

const debit: DebitRequest = {
  session: { token: new Secret("tok_live_session"), expiresAt: "2026-03-10T09:30:00.000Z" },
  accountId: "0011223344",
  amount: 150_000,
  currency: "NGN",
  reference: "ref-1",
  narration: "rent",
  authorization: { otp: new Secret("123456"), pin: undefined },
  destination: { bankId: "5d6fe57a4099cc4b210bbeb3", nuban: "9876543210" },
};

describe("the sandbox bank's wire encoding", () => {
  it("carries secrets through a JSON round trip, as Secrets again", () => {
    const json = JSON.stringify(toWire(debit));
    expect(json).toContain('{"$secret":"tok_live_session"}');
    expect(json).toContain('{"$secret":"123456"}');
    expect(json).not.toContain("pin"); // undefined properties are left out, as JSON.stringify would

    const back = fromWire(JSON.parse(json)) as DebitRequest;
    expect(back.session.token).toBeInstanceOf(Secret);
    expect(back.session.token.reveal()).toBe("tok_live_session");
    expect(back.authorization.otp?.reveal()).toBe("123456");
    expect(back).toMatchObject({ accountId: "0011223344", amount: 150_000, reference: "ref-1", destination: debit.destination });
  });

  it("revives secrets inside arrays and unions (a login result)", () => {
    const result: LoginResult = {
      status: "mfa_required",
      session: { token: new Secret("s-1"), expiresAt: "2026-03-10T09:30:00.000Z" },
      challenge: { kind: "sms_otp", prompt: "Enter the OTP", attemptsLeft: 5, expiresAt: "2026-03-10T09:05:00.000Z" },
    };
    const [back] = fromWire(JSON.parse(JSON.stringify(toWire([result])))) as LoginResult[];
    expect(back!.session.token.reveal()).toBe("s-1");
    expect(back!.status).toBe("mfa_required");
  });

  it("shows only [redacted] when a request that was not encoded is stringified or inspected", () => {
    const json = JSON.stringify(debit);
    expect(json).not.toContain("tok_live_session");
    expect(json).not.toContain("123456");
    expect(json).toContain('"token":"[redacted]"');
    expect(json).toContain('"otp":"[redacted]"');
    expect(inspect(debit, { depth: 5 })).not.toContain("tok_live_session");
  });

  it("keeps an own __proto__ key as data, never as a prototype", () => {
    const back = fromWire(JSON.parse('{"__proto__":{"polluted":true},"a":1}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect((back as { polluted?: boolean }).polluted).toBeUndefined();
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it("leaves objects that merely look like secrets alone", () => {
    expect(fromWire({ $secret: 5 })).toEqual({ $secret: 5 });
    expect(fromWire({ $secret: "x", other: 1 })).toEqual({ $secret: "x", other: 1 });
  });

  it("round-trips ConnectorErrors and refuses malformed ones", () => {
    const error = new ConnectorError("rejected", "wrong OTP", { reason: "invalid_otp", attemptsLeft: 3 });
    const back = connectorErrorFromWire(JSON.parse(JSON.stringify(error.toJSON())));
    expect(back).toBeInstanceOf(ConnectorError);
    expect(back?.toJSON()).toEqual(error.toJSON());
    const limited = connectorErrorFromWire({ kind: "rate_limited", message: "slow down", retryAfterMs: 1500 });
    expect(limited).toMatchObject({ kind: "rate_limited", retryAfterMs: 1500 });

    expect(connectorErrorFromWire({ kind: "exploded", message: "x" })).toBeUndefined();
    expect(connectorErrorFromWire({ kind: "rejected", message: "x", reason: "because" })).toBeUndefined();
    expect(connectorErrorFromWire({ kind: "retryable", message: "x", retryAfterMs: "soon" })).toBeUndefined();
    expect(connectorErrorFromWire({ kind: "retryable" })).toBeUndefined();
    expect(connectorErrorFromWire("retryable")).toBeUndefined();
    expect(connectorErrorFromWire(null)).toBeUndefined();
  });
});
