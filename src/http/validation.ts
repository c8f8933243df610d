import type { FastifySchemaCompiler } from "fastify";
import qs from "qs";
import type { z } from "zod";
import { OkroError, type ErrorCode } from "../core/errors.js";

/**
 * Request validation with zod, answering in Okra's envelope with the field named.
 *
 * Form-encoded bodies (some Okra integrations post forms to `pay/initiate` and `pay/verify`)
 * arrive as strings. We coerce them using the route's own schema — a field the schema types as a
 * number or boolean is converted, everything else stays a string — so that `amount=10000` works
 * while a NUBAN like `0123456789` keeps its leading zero. JSON bodies are never coerced.
 */
const FORM = Symbol("okro.formBody");

export function parseFormBody(raw: string): Record<string, unknown> {
  const parsed = qs.parse(raw, { depth: 5, arrayLimit: 100, parameterLimit: 1000, allowPrototypes: false });
  Object.defineProperty(parsed, FORM, { value: true, enumerable: false });
  return parsed as Record<string, unknown>;
}

/**
 * JSON bodies: plain JSON.parse, refusing keys that are prototype-pollution attempts (an own
 * `__proto__`, or `constructor.prototype`) with a message naming them, and saying where a
 * malformed body broke.
 */
export function parseJsonBody(raw: string): unknown {
  if (raw.trim() === "") throw new OkroError("INVALID_BODY", "body: empty, but Content-Type says JSON; send a JSON object");
  try {
    return JSON.parse(raw, (key, value: unknown) => {
      if (key === "__proto__" || (key === "constructor" && typeof value === "object" && value !== null && "prototype" in value)) {
        throw new OkroError("INVALID_FIELD", `${key}: not allowed in a request body`, { field: key });
      }
      return value;
    });
  } catch (error) {
    if (error instanceof OkroError) throw error;
    throw new OkroError("INVALID_BODY", `body: not valid JSON (${(error as Error).message})`);
  }
}

function isForm(data: unknown): data is Record<string, unknown> {
  return typeof data === "object" && data !== null && (data as Record<symbol, unknown>)[FORM] === true;
}

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; element?: z.ZodType; shape?: Record<string, z.ZodType> };
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Peels optional/nullable/default/pipe wrappers down to the type that decides coercion. */
function core(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let i = 0; i < 10; i++) {
    const def = defOf(current);
    if (def.innerType && ["optional", "nullable", "default", "prefault", "readonly", "catch", "nonoptional"].includes(def.type)) {
      current = def.innerType;
    } else if (def.type === "pipe" && def.in) {
      current = def.in;
    } else {
      break;
    }
  }
  return current;
}

export function coerceFormValue(schema: z.ZodType, value: unknown): unknown {
  const target = core(schema);
  const def = defOf(target);
  switch (def.type) {
    case "number":
    case "int":
    case "bigint":
      return typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value.trim()) : value;
    case "boolean":
      return value === "true" ? true : value === "false" ? false : value;
    case "null":
      return value === "" || value === "null" ? null : value;
    case "array": {
      if (!def.element) return value;
      // qs gives `a[]=1&a[]=2` as an array and `a=1` as a string; an array field accepts both.
      const items = Array.isArray(value) ? value : value === undefined ? value : [value];
      return Array.isArray(items) ? items.map((item) => coerceFormValue(def.element!, item)) : items;
    }
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value) || !def.shape) return value;
      const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      for (const [key, fieldSchema] of Object.entries(def.shape)) {
        if (key in out) out[key] = coerceFormValue(fieldSchema, out[key]);
      }
      return out;
    }
    default:
      return value;
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * Turns zod issues into one OkroError whose message names every offending field. A field is
 * "missing" when the input has nothing at its path, whatever the field's type (zod words a
 * missing enum as "Invalid option", a missing string as "expected string").
 */
export function zodToOkroError(error: z.ZodError, part: string, input?: unknown): OkroError {
  const fields = error.issues.flatMap((issue) => {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        field: base ? `${base}.${key}` : key,
        message: "unknown field",
        code: "UNKNOWN_FIELDS" as ErrorCode,
      }));
    }
    const missing =
      issue.path.length > 0 && issue.code !== "custom" && valueAt(input, issue.path) === undefined;
    // The body itself has the wrong type (an array, a string…): ERROR_STATUS documents that as
    // INVALID_BODY, not as a field error.
    const notAnObject = issue.code === "invalid_type" && issue.path.length === 0 && part === "body";
    return [
      {
        field: base || part,
        message: missing ? "is required" : issue.message.replace(/^Invalid input: /, ""),
        code: (missing ? "MISSING_FIELDS" : notAnObject ? "INVALID_BODY" : "INVALID_FIELD") as ErrorCode,
      },
    ];
  });
  const first = fields[0] ?? { field: part, message: "is invalid", code: "INVALID_FIELD" as ErrorCode };
  const message = fields.map((f) => `${f.field}: ${f.message}`).join("; ");
  return new OkroError(first.code, message, {
    field: first.field,
    data: { fields: fields.map(({ field, message: m }) => ({ field, message: m })) },
  });
}

/**
 * PostgreSQL text cannot hold U+0000 (both drivers fail with an error, which would be a 500), and
 * no Okra field has a use for it: refused up front, naming the field.
 */
function pathOfNul(value: unknown, path: string[] = [], depth = 0): string[] | null {
  if (typeof value === "string") return value.includes("\u0000") ? path : null;
  if (depth > 20 || value === null || typeof value !== "object") return null;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (key.includes("\u0000")) return [...path, key.replace(/\u0000/g, "\\0")];
    const found = pathOfNul(item, [...path, key], depth + 1);
    if (found) return found;
  }
  return null;
}

export const validatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    // A POST without a body arrives as null; treat it as an empty object so the message names
    // the missing fields rather than saying "body: expected object".
    const body = httpPart === "body" && (data === null || data === undefined) ? {} : data;
    const input = isForm(body) ? coerceFormValue(schema, body) : body;
    const nul = pathOfNul(input);
    if (nul) {
      const field = nul.join(".") || (httpPart ?? "body");
      return { error: new OkroError("INVALID_FIELD", `${field}: must not contain NUL (\\u0000) characters`, { field }) };
    }
    const result = schema.safeParse(input);
    if (result.success) return { value: result.data };
    return { error: zodToOkroError(result.error, httpPart ?? "body", input) };
  };
