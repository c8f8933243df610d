import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isValidNuban, makeNuban, nubanCheckDigit } from "../../src/banks/nuban.js";

const digit = fc.integer({ min: 0, max: 9 }).map(String);
const digitString = (length: number): fc.Arbitrary<string> => fc.array(digit, { minLength: length, maxLength: length }).map((d) => d.join(""));
/** Bank codes of every accepted shape: 3 (banks), 5 (OFIs) or 6 digits (institution codes). */
const bankCode = fc.oneof(digitString(3), digitString(5), digitString(6));
const serial = digitString(9);

/** The digit at `index` of `text` replaced by a different digit (`delta` 1–9 added mod 10). */
function substitute(text: string, index: number, delta: number): string {
  const changed = (Number(text[index]) + delta) % 10;
  return `${text.slice(0, index)}${changed}${text.slice(index + 1)}`;
}

describe("NUBAN check digit", () => {
  it("makes NUBANs that are valid for their bank: 10 digits, the serial then the check digit", () => {
    fc.assert(
      fc.property(bankCode, serial, (code, s) => {
        const nuban = makeNuban(code, s);
        expect(nuban).toMatch(/^[0-9]{10}$/);
        expect(nuban.slice(0, 9)).toBe(s);
        expect(Number(nuban[9])).toBe(nubanCheckDigit(code, s));
        expect(isValidNuban(code, nuban)).toBe(true);
      }),
    );
  });

  it("detects every single-digit substitution in the NUBAN (weights 3 and 7 are coprime with 10)", () => {
    fc.assert(
      fc.property(bankCode, serial, fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 9 }), (code, s, index, delta) => {
        expect(isValidNuban(code, substitute(makeNuban(code, s), index, delta))).toBe(false);
      }),
    );
  });

  it("detects every single-digit substitution in the bank code", () => {
    fc.assert(
      fc.property(bankCode, serial, fc.nat(), fc.integer({ min: 1, max: 9 }), (code, s, at, delta) => {
        const index = at % code.length;
        // A leading "9" prefixed to a 5-digit code is part of the institution code too, so any
        // same-length change of the code changes the weighted sum by 3δ or 7δ.
        expect(isValidNuban(substitute(code, index, delta), makeNuban(code, s))).toBe(false);
      }),
    );
  });

  it("agrees with the 2010 twelve-digit formula for 3-digit bank codes", () => {
    const weights = [3, 7, 3, 3, 7, 3, 3, 7, 3, 3, 7, 3];
    fc.assert(
      fc.property(digitString(3), serial, (code, s) => {
        const sum = [...(code + s)].reduce((acc, d, i) => acc + Number(d) * weights[i]!, 0);
        expect(nubanCheckDigit(code, s)).toBe((10 - (sum % 10)) % 10);
      }),
    );
  });

  it("treats a 5-digit OFI code as its 6-digit institution code with a leading 9", () => {
    fc.assert(
      fc.property(digitString(5), serial, (code, s) => {
        expect(makeNuban(code, s)).toBe(makeNuban(`9${code}`, s));
      }),
    );
  });

  it("matches published and hand-worked examples", () => {
    // CBN, "Proposals on the implementation of NUBAN scheme" v0.4 (3 Sep 2010), section 2a,
    // Examples 1 and 2 (First Bank, code 011).
    expect(makeNuban("011", "000001457")).toBe("0000014579");
    expect(makeNuban("011", "000000022")).toBe("0000000220");
    expect(isValidNuban("011", "0000014579")).toBe(true);
    expect(isValidNuban("011", "0000000220")).toBe(true);

    // By hand, GTBank 058, serial 001656322:
    // 0·3+5·7+8·3 = 59; 0·3+0·7+1·3+6·3+5·7+6·3+3·3+2·7+2·3 = 103; 162 mod 10 = 2; 10−2 = 8.
    expect(makeNuban("058", "001656322")).toBe("0016563228");

    // By hand, 2020 OFI rule, code 50211 → institution 950211, serial 000000001:
    // 9·3+5·7+0·3+2·3+1·7+1·3 = 78; 1·3 = 3; 81 mod 10 = 1; 10−1 = 9.
    expect(makeNuban("50211", "000000001")).toBe("0000000019");

    // By hand, 6-digit code 999992, serial 123456789:
    // 9·3+9·7+9·3+9·3+9·7+2·3 = 213; 1·3+2·7+3·3+4·3+5·7+6·3+7·3+8·7+9·3 = 195; 408 → 10−8 = 2.
    expect(makeNuban("999992", "123456789")).toBe("1234567892");

    // Same serial, another bank: the check digit belongs to the bank.
    expect(isValidNuban("058", "0000014579")).toBe(false);
  });

  it("rejects malformed input: RangeError from make, false from isValid", () => {
    for (const code of ["", "1", "12", "1234", "1234567", "05a", " 058", "０５８"]) {
      expect(() => makeNuban(code, "000001457"), code).toThrow(RangeError);
      expect(isValidNuban(code, "0000014579"), code).toBe(false);
    }
    for (const s of ["", "00000145", "0000014570", "00000145a", "-00001457"]) {
      expect(() => makeNuban("011", s), s).toThrow(RangeError);
    }
    for (const nuban of ["", "000001457", "00000145790", "000001457a", "0000014579 "]) {
      expect(isValidNuban("011", nuban), nuban).toBe(false);
    }
  });

  it("never throws from isValidNuban, whatever it is given", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (code, nuban) => {
        expect(typeof isValidNuban(code, nuban)).toBe("boolean");
      }),
    );
    expect(isValidNuban(undefined as unknown as string, null as unknown as string)).toBe(false);
  });
});
