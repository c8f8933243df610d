import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, randomToken, sha256Hex } from "../../src/lib/secrets.js";

/** Rebuilds every object in `value` with its keys in a shuffled order (given by `seed`). */
function reorder(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => reorder(v, seed + i));
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    const shuffled = entries
      .map((entry, i) => ({ entry, rank: Math.sin(seed * 7919 + i * 104729) }))
      .sort((a, b) => a.rank - b.rank)
      .map(({ entry }) => entry);
    const out: Record<string, unknown> = {};
    for (const [k, v] of shuffled) Object.defineProperty(out, k, { value: reorder(v, seed + 1), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

describe("canonicalJson", () => {
  it("does not depend on the order of keys, at any depth", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer(), (value, seed) => {
        expect(canonicalJson(reorder(value, seed))).toBe(canonicalJson(value));
      }),
    );
  });

  it("loses nothing: parsing the output gives back an equal value (so different values differ)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalJson(value))).toStrictEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it("gives different output for different values", () => {
    // Pairs that are often nearly equal: a value and a small mutation of it, or two unrelated.
    const pair = fc.oneof(
      fc.tuple(fc.jsonValue(), fc.jsonValue()),
      fc.jsonValue().chain((v) => fc.tuple(fc.constant(v), fc.constantFrom<unknown>({ v }, [v], v === null ? 0 : null, { ...(typeof v === "object" && v !== null && !Array.isArray(v) ? v : {}), extra: 1 }))),
    );
    fc.assert(
      fc.property(pair, ([a, b]) => {
        // Equal as JSON (key order aside) is the only way to be "the same request".
        fc.pre(!isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b))));
        expect(canonicalJson(a)).not.toBe(canonicalJson(b));
      }),
    );
  });

  it("tells apart values that differ only in an own __proto__ key (as JSON.parse makes them)", () => {
    const withProto = JSON.parse('{"__proto__":{"amount":1}}');
    expect(canonicalJson(withProto)).not.toBe(canonicalJson({}));
    expect(canonicalJson(withProto)).toBe('{"__proto__":{"amount":1}}');
  });

  it("sorts keys and keeps array order", () => {
    expect(canonicalJson({ b: 1, a: [3, 1, { d: 1, c: 2 }] })).toBe('{"a":[3,1,{"c":2,"d":1}],"b":1}');
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });
});

describe("secret helpers", () => {
  it("makes 43-character base64url tokens from 32 bytes, never the same twice", () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => randomToken(32)));
    expect(tokens.size).toBe(1000);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("hashes with SHA-256 as lower-case hex", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
