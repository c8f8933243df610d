import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { coerceFormValue, parseFormBody, zodToOkroError } from "../../src/http/validation.js";

/** A schema shaped like a payment-initiation form: strings that look like numbers, and numbers. */
const Form = z.object({
  account: z.string(),
  bvn: z.string().optional(),
  amount: z.number().int(),
  page: z.coerce.number().int().min(1).default(1),
  fee: z.number().nullable().optional(),
  recurring: z.boolean().optional(),
  note: z.string().nullable().optional(),
  gone: z.null().optional(),
  months: z.array(z.number()).optional(),
  accounts: z.array(z.string()).optional(),
  meta: z.object({ ref: z.string(), count: z.number() }).optional(),
  piped: z.string().transform((s) => s.trim()).pipe(z.string()).optional(),
  big: z.bigint().optional(),
});

describe("coerceFormValue", () => {
  it("keeps leading zeros of digit strings where the schema says string", () => {
    const out = coerceFormValue(Form, { account: "0123456789", bvn: "00000000001", amount: "10000", accounts: ["0001", "0002"] });
    expect(out).toEqual({ account: "0123456789", bvn: "00000000001", amount: 10000, accounts: ["0001", "0002"] });
  });

  it("converts numbers only where the schema says number, through optional/nullable/default wrappers", () => {
    expect(coerceFormValue(Form, { account: "1", amount: "-42", page: "3", fee: "1.5", big: "7" })).toEqual({
      account: "1",
      amount: -42,
      page: 3,
      fee: 1.5,
      big: 7,
    });
  });

  it("leaves strings that are not plain decimal numbers alone, so validation names the field", () => {
    for (const value of ["12abc", "1e3", "0x10", "", " ", "Infinity", "NaN", "1,000", "+5", ".5", "5."]) {
      expect(coerceFormValue(Form, { amount: value }), value).toEqual({ amount: value });
    }
    const result = Form.safeParse(coerceFormValue(Form, { account: "x", amount: "12abc" }));
    expect(result.success).toBe(false);
    if (!result.success) expect(zodToOkroError(result.error, "body").message).toMatch(/^amount: /);
  });

  it("trims around a number", () => {
    expect(coerceFormValue(Form, { amount: " 42 " })).toEqual({ amount: 42 });
  });

  it("converts only the words true and false for booleans", () => {
    expect(coerceFormValue(Form, { recurring: "true" })).toEqual({ recurring: true });
    expect(coerceFormValue(Form, { recurring: "false" })).toEqual({ recurring: false });
    expect(coerceFormValue(Form, { recurring: "1" })).toEqual({ recurring: "1" });
    expect(coerceFormValue(Form, { recurring: "TRUE" })).toEqual({ recurring: "TRUE" });
  });

  it("turns an empty value into null only where the schema is exactly null", () => {
    expect(coerceFormValue(Form, { gone: "" })).toEqual({ gone: null });
    expect(coerceFormValue(Form, { note: "" })).toEqual({ note: "" });
  });

  it("accepts a single value for an array field and coerces each element", () => {
    expect(coerceFormValue(Form, { months: "3" })).toEqual({ months: [3] });
    expect(coerceFormValue(Form, { months: ["3", "012"] })).toEqual({ months: [3, 12] });
    expect(coerceFormValue(Form, { accounts: "0123" })).toEqual({ accounts: ["0123"] });
  });

  it("recurses into nested objects and through pipes", () => {
    expect(coerceFormValue(Form, { meta: { ref: "007", count: "7" }, piped: "0042" })).toEqual({ meta: { ref: "007", count: 7 }, piped: "0042" });
  });

  it("leaves fields the schema does not know untouched", () => {
    expect(coerceFormValue(Form, { other: "0123" })).toEqual({ other: "0123" });
  });

  it("is the identity on any digit string for a string field, and Number() for a number field", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^-?\d{1,15}$/), (digits) => {
        expect(coerceFormValue(z.string(), digits)).toBe(digits);
        expect(coerceFormValue(z.string().optional(), digits)).toBe(digits);
        expect(coerceFormValue(z.number(), digits)).toBe(Number(digits));
      }),
    );
  });

  it("works end to end from a parsed form body", () => {
    const body = parseFormBody("account=0123456789&amount=10000&months[]=1&months[]=2&meta[ref]=007&meta[count]=2");
    expect(Form.parse(coerceFormValue(Form, body))).toEqual({
      account: "0123456789",
      amount: 10000,
      page: 1,
      months: [1, 2],
      meta: { ref: "007", count: 2 },
    });
  });
});
