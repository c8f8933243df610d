/**
 * Spreadsheet-safe CSV cells. A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
 * return is read as a formula by Excel, LibreOffice and Google Sheets (CSV injection, OWASP):
 * a payer-entered note such as `=HYPERLINK(…)` would run in the merchant's spreadsheet. Such a
 * cell gets a leading `'`, which the spreadsheet shows as text. Applied to every text cell of an
 * export; numbers written by us (kobo) are left alone, so a negative amount stays a number.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function safeCell(value: string | null | undefined): string {
  if (value === null || value === undefined) return "";
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** Kobo as naira with two decimals, by integer arithmetic ("-1234.05"); never through a float. */
export function nairaText(kobo: bigint): string {
  const negative = kobo < 0n;
  const abs = negative ? -kobo : kobo;
  return `${negative ? "-" : ""}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
}
