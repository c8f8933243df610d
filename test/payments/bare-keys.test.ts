import { describe, expect, it } from "vitest";
import { parseOkraJson, quoteBareKeys } from "../../src/payments/routes.js";

describe("the seed's object-literal bodies (pay/cancel)", () => {
  it("quotes bare keys and nothing else", () => {
    expect(quoteBareKeys('{\npayment_id: "xxxxxxxxxxxxxxxx"\n}')).toBe('{\n"payment_id": "xxxxxxxxxxxxxxxx"\n}');
    expect(quoteBareKeys('{a :1, b: {c: "d: e, f: g"}}')).toBe('{"a" :1, "b": {"c": "d: e, f: g"}}');
    expect(quoteBareKeys('{"a": "x\\"y: z"}')).toBe('{"a": "x\\"y: z"}');
    expect(parseOkraJson('{ payment_id: "5f88ebf63103d912f1d4baca" }')).toEqual({ payment_id: "5f88ebf63103d912f1d4baca" });
  });

  it("keeps JSON's own error for a body that is still not JSON", () => {
    expect(() => parseOkraJson("{ payment_id: }")).toThrow();
    expect(() => parseOkraJson("{ payment_id }")).toThrow();
  });

  it("handles a megabyte of bare keys in one pass (a malformed body cannot tie up the server)", () => {
    const raw = `{${Array.from({ length: 100_000 }, (_, i) => `k${i}: 1`).join(",")}`; // unclosed: still invalid
    expect(() => parseOkraJson(raw)).toThrow();
    const long = `{${"a".repeat(1_000_000)} 1}`;
    expect(quoteBareKeys(long)).toBe(long);
  });
});
