import { Readable } from "node:stream";
import { parse, type Parser } from "csv-parse";
import { stringify } from "csv-stringify";
import { OkroError } from "../core/errors.js";
import { COLUMNS, escapeFormula, MUST_HAVE_COLUMNS } from "./domain.js";

/**
 * Bulk files in and out. In: csv-parse, streaming (a byte-order mark, CRLF or LF, quoted cells
 * with commas and newlines, stray whitespace around cells and headers, empty lines), one record at
 * a time, so memory stays flat however long the file. Out: csv-stringify, every cell through
 * {@link escapeFormula}.
 */

/** A header cell as a column name: `Account To Debit ` → `account_to_debit`. */
export const normaliseHeader = (h: string) => h.trim().toLowerCase().replace(/[\s-]+/g, "_");

export interface FileRecords {
  header: string[];
  /** Header cells this build does not know (ignored, kept in the error CSV). */
  unknownColumns: string[];
  /** Each data record as column → cell, with its 1-based row number (the header is not a row). */
  records: AsyncGenerator<{ row: number; raw: Record<string, string>; cells: number }>;
}

const notCsv = (why: string) => new OkroError("INVALID_FIELD", `file: not a CSV file (${why}); send a CSV with a header row naming ${COLUMNS.slice(0, 5).join(", ")}`, { field: "file", data: { reason: "not_csv" } });

/**
 * Reads a CSV stream: the header first (refusing a file that is empty, binary, or lacks the
 * columns every row needs: a 400 naming `file` and the missing columns), then the records lazily.
 */
export async function readCsv(input: Readable): Promise<FileRecords> {
  const parser: Parser = input.pipe(
    parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, relax_quotes: false, max_record_size: 64 * 1024 }),
  );
  input.on("error", (error) => parser.destroy(error));
  const it = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;
  const next = async (): Promise<IteratorResult<string[]>> => {
    try {
      return await it.next();
    } catch (error) {
      if (error instanceof OkroError) throw error;
      const e = error as { code?: string; message?: string; lines?: number };
      if (typeof e.code === "string" && e.code.startsWith("CSV_")) throw notCsv(`line ${e.lines ?? "?"}: ${e.message ?? e.code}`);
      throw error;
    }
  };
  const first = await next();
  if (first.done) throw new OkroError("INVALID_FIELD", "file: the file is empty; send a CSV with a header row and at least one payment", { field: "file", data: { reason: "empty_file" } });
  const rawHeader = first.value;
  if (rawHeader.some((h) => h.includes("\u0000"))) throw notCsv("it contains binary data");
  const header = rawHeader.map(normaliseHeader);
  const known = new Set<string>(COLUMNS);
  const missing = MUST_HAVE_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) {
    throw new OkroError(
      "INVALID_FIELD",
      `file: missing column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}; the first row must be a header naming the columns (${COLUMNS.join(", ")}); found: ${rawHeader.slice(0, 10).map((h) => JSON.stringify(h.slice(0, 30))).join(", ") || "nothing"}`,
      { field: "file", data: { reason: "missing_columns", missing } },
    );
  }
  const dup = header.find((h, i) => known.has(h) && header.indexOf(h) !== i);
  if (dup) throw new OkroError("INVALID_FIELD", `file: the column ${dup} appears twice in the header`, { field: "file", data: { reason: "duplicate_column" } });
  async function* records() {
    let row = 0;
    for (;;) {
      const r = await next();
      if (r.done) return;
      row++;
      const raw: Record<string, string> = {};
      header.forEach((h, i) => {
        raw[h] = r.value[i] ?? "";
      });
      if (r.value.some((c) => c.includes("\u0000"))) throw notCsv(`row ${row} contains binary data`);
      yield { row, raw, cells: r.value.length };
    }
  }
  return { header, unknownColumns: header.filter((h) => !known.has(h)), records: records() };
}

/**
 * A CSV writer that pulls its rows page by page from `pages` (so a 10,000-row results file never
 * sits in memory), every cell formula-escaped.
 */
export function csvStream(columns: string[], pages: () => AsyncGenerator<(string | number | null)[][]>): Readable {
  const out = stringify({ header: true, columns });
  void (async () => {
    try {
      for await (const page of pages()) {
        for (const cells of page) {
          if (!out.write(cells.map((c) => (c === null ? "" : typeof c === "number" ? String(c) : escapeFormula(c))))) {
            await new Promise((resolve) => out.once("drain", resolve));
          }
        }
      }
      out.end();
    } catch (error) {
      out.destroy(error as Error);
    }
  })();
  return out;
}

export { Readable };
