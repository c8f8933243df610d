/**
 * The bank list's search, as a pure function (the widget's Banks screen uses it; tests call it
 * with the real directory). People type what they call their bank — "GTB", "First Bank",
 * "opay", "fcmb" — so a bank matches when the query is part of its name, its slug or one of its
 * aliases (src/banks/directory.ts), ignoring case, spaces and punctuation: "gt bank", "GTBank"
 * and "gtbank" are one query, and "firstbank" finds "First Bank of Nigeria".
 */

export interface SearchableBank {
  name: string;
  slug: string;
  aliases: readonly string[];
}

/** Lower case, letters and digits only (accents dropped): what two spellings of a name share. */
export function compactName(s: string): string {
  return s
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");
}

/** Whether the bank answers to the query; an empty (or all-punctuation) query matches every bank. */
export function bankMatches(bank: SearchableBank, query: string): boolean {
  const q = compactName(query);
  if (q === "") return true;
  return compactName(bank.name).includes(q) || compactName(bank.slug).includes(q) || bank.aliases.some((a) => compactName(a).includes(q));
}

/** The banks that answer to the query, in the list's own order (popular banks first). */
export function searchBanks<T extends SearchableBank>(banks: readonly T[], query: string): T[] {
  return banks.filter((b) => bankMatches(b, query));
}
