/**
 * NUBAN (Nigeria Uniform Bank Account Number) check digits.
 *
 * A NUBAN is 10 digits: a 9-digit account serial number and a check digit. The check digit is
 * not computed over the serial alone but over the institution's code followed by the serial, so a
 * NUBAN is only valid *for a given bank*.
 *
 * Sources:
 * - CBN, "Proposals on the implementation of NUBAN scheme" (version 0.4, 3 September 2010),
 *   section 2a: format ABC-DEFGHIJKL-M with ABC the 3-digit CBN bank code; check digit
 *   = 10 − ((A·3 + B·7 + C·3 + D·3 + E·7 + F·3 + G·3 + H·7 + I·3 + J·3 + K·7 + L·3) mod 10),
 *   and 0 when that is 10.
 * - CBN, "Revised standards on Nigeria Uniform Bank Account Number (NUBAN) scheme for banks and
 *   other financial institutions" (circular of March 2020, effective 20 April 2020): the check
 *   digit is computed over a 6-digit institution code plus the 9-digit serial (15 digits, weights
 *   3,7,3 repeated). For deposit money banks the institution code is the 3-digit code with three
 *   leading zeros ("011" → "000011"); for other financial institutions (microfinance banks,
 *   mobile-money operators…) it is the 5-digit CBN code with a leading "9" ("50547" → "950547").
 *
 * Leading zeros add nothing to a weighted sum, and the first six weights (3,7,3,3,7,3) put 3,7,3
 * on the last three digits of "000ABC", so the 2020 rule gives exactly the 2010 check digit for
 * 3-digit bank codes: one algorithm covers both.
 *
 * The standard defines only 3- and 5-digit codes. Some institutions are known by 6-digit codes
 * (NIBSS-style, e.g. Opay's "999992" in our directory); such a code is taken to *be* the
 * institution code, as common NUBAN validators do. Any other length is rejected.
 *
 * Every single-digit substitution in the serial, the check digit or the institution code is
 * detected: each weight (3 or 7) is coprime with 10, so changing one digit by δ ∈ 1…9 changes the
 * sum by 3δ or 7δ, never a multiple of 10.
 */

const WEIGHTS = [3, 7, 3, 3, 7, 3, 3, 7, 3, 3, 7, 3, 3, 7, 3] as const;

const DIGITS = /^[0-9]+$/;

/** The 6-digit institution code the check digit is computed over, or `undefined` when malformed. */
function institutionCode(bankCode: unknown): string | undefined {
  if (typeof bankCode !== "string" || !DIGITS.test(bankCode)) return undefined;
  switch (bankCode.length) {
    case 3:
      return `000${bankCode}`;
    case 5:
      return `9${bankCode}`;
    case 6:
      return bankCode;
    default:
      return undefined;
  }
}

function isSerial(serial: unknown): serial is string {
  return typeof serial === "string" && serial.length === 9 && DIGITS.test(serial);
}

/** The check digit of 15 digits (institution code + serial). */
function checkDigitOf(digits15: string): number {
  let sum = 0;
  for (let i = 0; i < WEIGHTS.length; i++) sum += (digits15.charCodeAt(i) - 48) * WEIGHTS[i]!;
  return (10 - (sum % 10)) % 10;
}

/**
 * The NUBAN check digit (0–9) of a 9-digit serial at a bank.
 *
 * @param bankCode CBN code: 3 digits for deposit money banks ("058"), 5 digits for other
 *   financial institutions ("50211"), or a 6-digit institution code ("999992").
 * @param serial9 The 9-digit account serial number.
 * @throws RangeError when the bank code or the serial is malformed.
 */
export function nubanCheckDigit(bankCode: string, serial9: string): number {
  const institution = institutionCode(bankCode);
  if (institution === undefined) throw new RangeError(`bank code must be 3, 5 or 6 digits, got ${JSON.stringify(bankCode)}`);
  if (!isSerial(serial9)) throw new RangeError(`NUBAN serial must be 9 digits, got ${JSON.stringify(serial9)}`);
  return checkDigitOf(institution + serial9);
}

/**
 * The 10-digit NUBAN of a 9-digit serial at a bank: the serial followed by its check digit.
 *
 * @example makeNuban("011", "000001457") // "0000014579" (the CBN's own worked example)
 * @throws RangeError when the bank code or the serial is malformed.
 */
export function makeNuban(bankCode: string, serial9: string): string {
  return `${serial9}${nubanCheckDigit(bankCode, serial9)}`;
}

/**
 * Whether `nuban` is a well-formed 10-digit NUBAN whose check digit is right for `bankCode`.
 * Never throws: a malformed bank code or account number is simply not valid.
 */
export function isValidNuban(bankCode: string, nuban: string): boolean {
  const institution = institutionCode(bankCode);
  if (institution === undefined || typeof nuban !== "string" || nuban.length !== 10 || !DIGITS.test(nuban)) return false;
  return checkDigitOf(institution + nuban.slice(0, 9)) === nuban.charCodeAt(9) - 48;
}
