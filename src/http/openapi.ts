/**
 * The OpenAPI document, tidied for a generated client (issue 12 item 6, decision 0019):
 *
 * - **Each operation once.** Okra's alias prefixes (`/v2/sandbox/…`, `/sandbox/v2/…`) serve the
 *   same operations as `/v2/…`, and a few paths are spelled twice for old SDKs (`pay/get/Id`,
 *   declared with {@link ALIAS_OF} on the route). They are all still served; the document lists
 *   the canonical operation once, with the other paths in its `x-okro-aliases`.
 * - **An `operationId` on every operation**, from its canonical path (`/v2/pay/get/id` →
 *   `payGetId`), prefixed with the method when one path has several (`getAppsById`). A route may
 *   set its own `operationId`.
 */

/** Route-schema key naming the canonical path (with its prefix) of a route that only spells it another way. */
export const ALIAS_OF = "x-okro-alias-of";
export const ALIASES = "x-okro-aliases";

/** Prefixes that serve the same operations as `/v2`: `/v2/sandbox` + `/x` is `/v2/x`. */
const ALIAS_PREFIXES = ["/v2/sandbox", "/sandbox/v2"];
/** Where {@link markPrefix} records the prefix a route was registered under (a path alone is ambiguous: `/v2` + `/sandbox/customers/list`). */
const PREFIX = "x-okro-prefix";
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

type Operation = Record<string, unknown> & { operationId?: string };
type PathItem = Partial<Record<(typeof METHODS)[number], Operation>> & Record<string, unknown>;
type Doc = { paths?: Record<string, PathItem> } & Record<string, unknown>;

/** The `/v2` spelling of `path` (or of the declared alias target), for a route registered under `prefix`. */
const unprefixed = (prefix: unknown, path: string) =>
  typeof prefix === "string" && ALIAS_PREFIXES.includes(prefix) && path.startsWith(`${prefix}/`) ? `/v2${path.slice(prefix.length)}` : path;

/** The per-route half (swagger's `transform`): notes the prefix the route was registered under. */
export function markPrefix<T extends { schema?: unknown }>(out: T, route: object): T {
  // Fastify's route options carry the prefix at runtime; its types leave it out.
  const prefix = (route as { prefix?: unknown }).prefix;
  return { ...out, schema: { ...(out.schema as object), [PREFIX]: typeof prefix === "string" ? prefix : "" } };
}

/** `/v2/accounts/{id}/balance-history` → `accountsByIdBalanceHistory`. */
function camelPath(path: string): string {
  const words = path
    .replace(/^\/v2(?=\/|$)/, "")
    .split(/[/_\-.]+/)
    .filter(Boolean)
    .map((segment) => {
      const param = /^\{(.+)\}$/.exec(segment);
      const word = param ? `by${param[1]!.charAt(0).toUpperCase()}${param[1]!.slice(1)}` : segment;
      return word.charAt(0).toUpperCase() + word.slice(1);
    });
  const joined = words.join("") || "Root";
  return joined.charAt(0).toLowerCase() + joined.slice(1);
}

/** Folds aliases into their canonical operations and names every operation; returns the document. */
export function tidyOpenApi<T>(input: T): T {
  const doc = input as Doc;
  const paths = doc.paths ?? {};
  // 1. Aliases: where an operation's canonical (path, method) is documented, it goes there.
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const canonicalPath = unprefixed(op[PREFIX], typeof op[ALIAS_OF] === "string" ? (op[ALIAS_OF] as string) : path);
      if (canonicalPath === path) continue;
      const canonical = paths[canonicalPath]?.[method];
      if (!canonical || canonical[ALIAS_OF] !== undefined) continue;
      canonical[ALIASES] = [...((canonical[ALIASES] as string[] | undefined) ?? []), path].sort();
      delete item[method];
    }
    if (!METHODS.some((m) => item[m])) delete paths[path];
  }
  // 2. operationIds.
  for (const [path, item] of Object.entries(paths)) {
    const methods = METHODS.filter((m) => item[m]);
    for (const method of methods) {
      const op = item[method]!;
      delete op[ALIAS_OF];
      delete op[PREFIX];
      if (op.operationId) continue;
      const base = camelPath(path);
      op.operationId = methods.length > 1 ? `${method}${base.charAt(0).toUpperCase()}${base.slice(1)}` : base;
    }
  }
  return input;
}
