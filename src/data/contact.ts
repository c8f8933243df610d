import { sql, type RawBuilder } from "kysely";

/**
 * The one contact rule: what makes two emails or two phones "the same" when a person is
 * recognised (link.ts matching a bank login to a customer, the widget recognising a returning
 * customer). Values are written in this form (link.ts) and looked up in it; the lookup applies the
 * same rule to the stored side too (`storedEmail`, `storedPhone`), so values stored before it, or
 * put there another way, still match. The SQL and the TypeScript are checked against each other
 * (test/data/contact.test.ts).
 *
 * `Owned@Example.com ` is `owned@example.com`; `+234 803 000 0000`, `2348030000000` and
 * `0803-000-0000` are `08030000000`.
 */

/** Fewer digits than this is no phone number anyone can be recognised by. */
export const MIN_PHONE_DIGITS = 7;

/** An email in its stored form (trimmed, lower-case), or null when there is none. */
export function normaliseEmail(email: string): string | null {
  const e = email.trim().toLowerCase();
  return e === "" ? null : e;
}

/**
 * A phone in its stored form: its digits, Nigerian numbers in the national form 0XXXXXXXXXX
 * (`+234 803…`, `234803…` and `0803…` are one phone); null when it has too few digits to name anyone.
 */
export function normalisePhone(phone: string): string | null {
  const digits = phone.replace(/\D/g, "");
  if (digits.length < MIN_PHONE_DIGITS) return null;
  return digits.length === 13 && digits.startsWith("234") ? `0${digits.slice(3)}` : digits;
}

/** The emails and phones given (a hint, a bank identity), in stored form, without repeats. */
export function contactOf(given: { emails?: readonly string[]; phones?: readonly string[] }): { emails: string[]; phones: string[] } {
  const present = (v: string | null): v is string => v !== null;
  return {
    emails: [...new Set((given.emails ?? []).map(normaliseEmail).filter(present))],
    phones: [...new Set((given.phones ?? []).map(normalisePhone).filter(present))],
  };
}

/** `normaliseEmail` in SQL, of a text expression (a stored value); trims ASCII whitespace, as emails have no other. */
export const storedEmail = (value: RawBuilder<string>): RawBuilder<string> => sql<string>`lower(btrim(${value}, E' \t\n\r\f\v'))`;

/** `normalisePhone` in SQL, of a text expression (a stored value); a value with too few digits never equals a normalised phone. */
export const storedPhone = (value: RawBuilder<string>): RawBuilder<string> => {
  const digits = sql<string>`regexp_replace(${value}, '[^0-9]', '', 'g')`;
  return sql<string>`(CASE WHEN length(${digits}) = 13 AND left(${digits}, 3) = '234' THEN '0' || substr(${digits}, 4) ELSE ${digits} END)`;
};
