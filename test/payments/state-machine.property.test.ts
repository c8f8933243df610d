import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assertTransition,
  canTransition,
  IllegalTransitionError,
  isCancellable,
  isFinal,
  LATE_TRANSITIONS,
  paymentMachine,
  PAYMENT_STATES,
  type PaymentState,
  TRANSITIONS,
  WIRE_STATUSES,
  wireStatus,
} from "../../src/payments/domain.js";

const state = fc.constantFrom(...PAYMENT_STATES);
const edges = (s: PaymentState): readonly PaymentState[] => TRANSITIONS[s];

function reachable(from: PaymentState): Set<PaymentState> {
  const seen = new Set<PaymentState>([from]);
  const todo = [from];
  while (todo.length) for (const n of edges(todo.pop() as PaymentState)) if (!seen.has(n)) (seen.add(n), todo.push(n));
  return seen;
}

describe("payment state machine", () => {
  it("lets every non-final state reach a final state (no payment can be stuck for ever)", () => {
    for (const s of PAYMENT_STATES.filter((x) => !isFinal(x))) {
      expect([...reachable(s)].some(isFinal), s).toBe(true);
    }
  });

  it("allows no transition out of a final state except the bank's late reversal", () => {
    for (const s of PAYMENT_STATES.filter(isFinal)) {
      for (const to of edges(s)) {
        expect(LATE_TRANSITIONS.some(([a, b]) => a === s && b === to), `${s} → ${to}`).toBe(true);
      }
    }
    expect(canTransition("settled", "reversed")).toBe(true);
    expect(canTransition("succeeded", "reversed")).toBe(true);
    for (const s of ["errored", "failed", "cancelled", "reversed"] as const) expect(edges(s)).toEqual([]);
  });

  it("has only real states as targets, no self-loops and no duplicate edges", () => {
    for (const s of PAYMENT_STATES) {
      expect(new Set(edges(s)).size).toBe(edges(s).length);
      for (const to of edges(s)) {
        expect(PAYMENT_STATES).toContain(to);
        expect(to).not.toBe(s);
      }
    }
  });

  it("accepts exactly the edges in TRANSITIONS and names both states when it refuses one", () => {
    fc.assert(
      fc.property(state, state, (from, to) => {
        const allowed = edges(from).includes(to);
        expect(canTransition(from, to)).toBe(allowed);
        if (allowed) {
          expect(() => assertTransition(from, to)).not.toThrow();
        } else {
          let caught: unknown;
          try {
            assertTransition(from, to);
          } catch (e) {
            caught = e;
          }
          expect(caught).toBeInstanceOf(IllegalTransitionError);
          const err = caught as IllegalTransitionError;
          expect(err.from).toBe(from);
          expect(err.to).toBe(to);
          expect(err.message).toContain(`from ${from} to ${to}`);
        }
      }),
    );
  });

  it("walks only allowed edges from queued on the real machine, and ends final or waiting", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 30 }), (choices) => {
        let s: PaymentState = "queued";
        const walked: { from: PaymentState; to: PaymentState }[] = [];
        for (const c of choices) {
          const next = paymentMachine.next(s);
          if (next.length === 0) {
            expect(paymentMachine.isTerminal(s)).toBe(true);
            break;
          }
          const to = next[c % next.length] as PaymentState;
          expect(() => paymentMachine.assert(s, to)).not.toThrow();
          walked.push({ from: s, to });
          s = to;
        }
        for (let i = 1; i < walked.length; i++) expect(walked[i]?.from).toBe(walked[i - 1]?.to);
        for (const e of walked) expect(canTransition(e.from, e.to)).toBe(true);
        // Once final, the only way on is a reversal.
        const firstFinal = walked.findIndex((r) => isFinal(r.to));
        if (firstFinal >= 0) for (const r of walked.slice(firstFinal + 1)) expect(r.to).toBe("reversed");
      }),
    );
  });

  it("declares as terminal exactly the final states with no way out (settled stays open to the late reversal)", () => {
    expect([...paymentMachine.terminal].sort()).toEqual(["cancelled", "errored", "failed", "reversed"]);
    for (const s of PAYMENT_STATES) expect(paymentMachine.isTerminal(s)).toBe(edges(s).length === 0);
    expect(isFinal("settled") && !paymentMachine.isTerminal("settled")).toBe(true);
  });

  it("maps every internal state to exactly one of the nine wire statuses", () => {
    expect(WIRE_STATUSES).toHaveLength(9);
    for (const s of PAYMENT_STATES) {
      const w = wireStatus(s);
      expect(WIRE_STATUSES).toContain(w.status);
      expect(WIRE_STATUSES).toContain(w.response_status);
      expect(wireStatus(s)).toEqual(w); // a function of the state alone
    }
    expect(wireStatus("settled")).toEqual({ status: "completed", response_status: "success" }); // the seed's verify sample
    expect(wireStatus("queued").status).toBe("pending");
    expect(wireStatus("succeeded").status).toBe("success_pending_validation");
  });

  it("says success only once the bank confirmed, and never for a payment that ended without money", () => {
    for (const s of PAYMENT_STATES) {
      const ok = wireStatus(s).response_status === "success";
      expect(ok).toBe(s === "succeeded" || s === "settled");
    }
  });

  it("cancels only payments the wire shows as pending or initiated, and never one that may be at the bank", () => {
    for (const s of PAYMENT_STATES) {
      if (!isCancellable(s)) continue;
      expect(["pending", "initiated"]).toContain(wireStatus(s).status);
      expect(canTransition(s, "cancelled")).toBe(true);
      // Never one whose debit may be at the bank (processing, unknown) or whose outcome is known.
      expect(["processing", "unknown"]).not.toContain(s);
      expect(isFinal(s)).toBe(false);
    }
    for (const s of PAYMENT_STATES) if (canTransition(s, "cancelled")) expect(isCancellable(s)).toBe(true);
    expect(isCancellable("processing")).toBe(false);
    expect(isCancellable("unknown")).toBe(false);
    expect(isCancellable("settled")).toBe(false);
  });

  it("hands a payment back to the customer only from processing (the bank said nothing moved), never from unknown", () => {
    expect(canTransition("processing", "awaiting_authorisation")).toBe(true);
    expect(canTransition("unknown", "awaiting_authorisation")).toBe(false);
    for (const s of PAYMENT_STATES) if (canTransition(s, "awaiting_authorisation")) expect(["queued", "processing"]).toContain(s);
    // A second authorisation is a new attempt: it goes through processing again, and can still end.
    expect(reachable("awaiting_authorisation").has("succeeded")).toBe(true);
    expect([...reachable("processing")].some(isFinal)).toBe(true);
  });

  it("resolves an unknown debit without a blind re-send", () => {
    for (const s of ["processing", "unknown", "succeeded"] as const) expect(isFinal(s)).toBe(false);
    // From unknown, every edge is a re-query result; going back to processing is the same-reference re-send.
    expect([...edges("unknown")].sort()).toEqual(["errored", "failed", "processing", "succeeded"]);
    expect(canTransition("processing", "queued")).toBe(false);
    expect(canTransition("unknown", "queued")).toBe(false);
  });
});
