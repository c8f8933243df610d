/**
 * Naira from kobo and back, with integer arithmetic only: amounts are whole kobo everywhere
 * (protocol.ts), so formatting splits the digits and parsing joins them — never `x * 100` on a
 * float, never a rounding surprise (₦0.29 stays 29 kobo).
 */

/** `123456` → `₦1,234.56`. */
export function formatNaira(kobo: number): string {
  const digits = String(Math.abs(Math.trunc(kobo))).padStart(3, "0");
  const naira = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${kobo < 0 ? "-" : ""}₦${naira}.${digits.slice(-2)}`;
}

/**
 * What a person types as an amount in naira → kobo, or null when it is not an amount:
 * `5000`, `5,000`, `5000.5`, `₦5,000.50` → 500050 … Thousands separators are allowed only in
 * their places; at most two decimals; at most 13 digits of naira.
 */
export function parseNaira(input: string): number | null {
  const s = input.trim().replace(/^₦\s*/, "");
  const m = /^(\d{1,13}|\d{1,3}(?:,\d{3}){1,4})(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) return null;
  const naira = m[1]!.replace(/,/g, "");
  const kobo = (m[2] ?? "").padEnd(2, "0");
  return Number(naira + kobo);
}
