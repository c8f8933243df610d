/**
 * Okro's import rules (docs/decisions/0015-import-rules-checked.md), checked in `npm test` by
 * test/architecture/dependencies.test.ts. Violations that existed when a rule was added are listed
 * in .dependency-cruiser-known-violations.json and tolerated; any other one fails the test. The
 * list only shrinks: fix one, then regenerate it with
 *   npx depcruise-baseline src --config .dependency-cruiser.cjs
 */
const DOMAINS = "(platform|banks|data|widget|payments|mandates|garnish|ledger|events|dashboard|bulk)";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import circle in src/: cut it by concern (a module both sides import), never by a lazy import.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "core-imports-no-domain",
      severity: "error",
      comment: "src/core is the kernel below every domain: it imports no domain, no http/ and no HTTP framework.",
      from: { path: "^src/core/" },
      to: { path: [`^src/${DOMAINS}/`, "^src/http/", "^src/(app|server|boot|cli|context|api-modules|widget-app|background-jobs)\\.ts$", "^node_modules/(fastify|@fastify)/"] },
    },
    {
      name: "db-imports-no-domain",
      severity: "error",
      comment:
        "src/db (schema, migrations, the database handle) sits below every domain, with the kernel: src/core/db.ts types every domain's queries with its schema. A column's vocabulary (states, bank habits) is declared in the schema and domains derive from it.",
      from: { path: "^src/db/" },
      to: { path: [`^src/${DOMAINS}/`, "^src/http/"] },
    },
    {
      name: "domain-imports-no-http",
      severity: "error",
      comment:
        "Domains reach the kernel (src/core), not the Fastify adapter (src/http). A domain's routes files are the HTTP shell and may use http/.",
      from: { path: `^src/${DOMAINS}/`, pathNot: "routes\\.ts$" },
      to: { path: "^src/http/" },
    },
    {
      name: "banks-import-no-payments-or-widget",
      severity: "error",
      comment: "Bank connectors sit below the payments engine and the widget.",
      from: { path: "^src/banks/" },
      to: { path: "^src/(payments|widget)/" },
    },
    {
      name: "ledger-imports-no-payments",
      severity: "error",
      comment: "The ledger sits below the payments engine: shared types go down into src/core.",
      from: { path: "^src/ledger/" },
      to: { path: "^src/payments/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Type-only imports count: a type is a dependency too (ledger on payments' Scope, say).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "\\.test\\.ts$" },
  },
};
