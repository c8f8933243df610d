import path from "node:path";
import { SANDBOX_LOGINS, SANDBOX_PAYMENT_AUTH } from "./banks/sandbox-logins.js";
import type { DatabaseKind } from "./db/index.js";
import type { DemoInfo } from "./seed.js";

/**
 * How a shell reads one field of demo.json: `node -p "require('./.okro/demo.json').sandbox.secret_key"`.
 * A relative path gets its `./` (without it `require` would look for a package).
 */
export function demoFieldCommand(demoFile: string, field: string): string {
  const file = path.isAbsolute(demoFile) ? demoFile : `./${path.normalize(demoFile)}`;
  return `node -p "require('${file}').${field}"`;
}

/**
 * The start banner: where everything is, the sandbox keys, and how to log in to a sandbox bank.
 * With `secrets: false` (stdout is not a terminal: it is where the JSON logs go, and a pipe or a
 * file keeps what it is given) the sandbox secret key and the dashboard password are not printed;
 * the banner says where demo.json is and how to read them from it instead.
 */
export function banner(
  demo: DemoInfo,
  db: { kind: DatabaseKind; location: string },
  demoFile: string,
  startMs: number,
  options: { secrets: boolean },
): string {
  const storage =
    db.kind === "pglite"
      ? `embedded PGlite in ${db.location}\n  (for trying and developing: survives an Okro crash, not a machine crash; set DATABASE_URL to use PostgreSQL for real money)`
      : `PostgreSQL ${db.location}`;
  const readKey = demoFieldCommand(demoFile, "sandbox.secret_key");
  const secretKey = options.secrets ? demo.sandbox.secret_key : `$(${readKey})`;
  const width = Math.max(...SANDBOX_LOGINS.map((l) => `${l.username} / ${l.password}`.length));
  return [
    "",
    `  Okro is running (ready in ${startMs} ms)`,
    `  Storage: ${storage}`,
    "",
    `  API          ${demo.api}/v2`,
    `  Sandbox API  ${demo.api}/v2/sandbox`,
    `  Widget       ${demo.widget}`,
    `  Dashboard    ${demo.dashboard}`,
    `  API docs     ${demo.docs}`,
    `  Demo shop    ${demo.api}/demo  (a merchant page: the okra-js loader opens this widget)`,
    "",
    `  Demo company "${demo.company_name}" (${demo.company_id})`,
    ...(options.secrets
      ? [`  Sandbox secret key  ${demo.sandbox.secret_key}`]
      : [`  Sandbox secret key  not printed (this output is not a terminal): ${readKey}`]),
    `  Sandbox public key  ${demo.sandbox.public_key}`,
    `  Client token        ${demo.sandbox.token}`,
    `  App id              ${demo.sandbox.app_id}`,
    `  Receiving account   ${demo.sandbox.settlement_account ?? "(not set up: the sandbox bank was unreachable)"}  (sandbox account_to_credit)`,
    ...(demo.dashboard_login
      ? [
          options.secrets
            ? `  Dashboard login     ${demo.dashboard_login.email} / ${demo.dashboard_login.password}`
            : `  Dashboard login     ${demo.dashboard_login.email}, password: ${demoFieldCommand(demoFile, "dashboard_login.password")}`,
        ]
      : []),
    `  Production keys, and all of the above as JSON: ${demoFile}`,
    "",
    "  Sandbox bank logins (every sandbox bank):",
    ...SANDBOX_LOGINS.map((l) => `    ${`${l.username} / ${l.password}`.padEnd(width)}  ${l.outcome}`),
    `    Payments are authorised with OTP ${SANDBOX_PAYMENT_AUTH.otp} or PIN ${SANDBOX_PAYMENT_AUTH.pin}`,
    "",
    "  Try it:",
    `    curl -X POST ${demo.api}/v2/sandbox/banks/list -H "Authorization: Bearer ${secretKey}"`,
    `    curl -X POST ${demo.api}/v2/customers/list -H "Authorization: Bearer ${secretKey}"`,
    "",
  ].join("\n");
}
