import { createRequire } from "node:module";
import fs from "node:fs";
import type { FastifyInstance } from "fastify";
import { BANK_DIRECTORY } from "../banks/directory.js";
import type { AppContext } from "../context.js";
import type { DemoInfo } from "../seed.js";

/**
 * `/demo`: a merchant's checkout page, as a developer would write it, for the demo company. It
 * loads Okra's own loader (okra-js 2.1.1 from npm, unchanged) and points its `baseUrl` at Okro's
 * widget origin — the one-line change an Okra integration makes — so `npm start` shows the whole
 * link flow working with the sandbox credentials, and what `onSuccess` hands a merchant.
 *
 * It offers the widget's five flows, each a button with a line saying what it shows: account
 * data (standard, and returning user), and payments (instant, returning user, Quick Pay). The
 * returning-user flows and Quick Pay need a customer who has linked before: the demo seed's
 * (src/seed.ts links them at the first start), found when the page is asked for, so the page
 * works as soon as the seed has run.
 *
 * It only exists while the demo company is seeded (`okro serve`), and carries only what a
 * merchant page carries anyway: the sandbox public key, client token and app id. The secret key
 * is never put on the page; the page shows the `curl` to run with it instead.
 */
const require = createRequire(import.meta.url);
let okraJs: string | undefined;
function okraLoader(): string {
  okraJs ??= fs.readFileSync(require.resolve("okra-js/dist/bundle.js"), "utf8");
  return okraJs;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The demo's returning customer: the person the seed linked at GTBank (no code at login), or any linked one. */
export interface DemoReturning {
  customer_id: string;
  account_id: string;
  name: string;
  bank: string;
}

const GTBANK_ID = BANK_DIRECTORY.find((b) => b.slug === "guaranty-trust-bank")!.id;

async function demoReturning(ctx: AppContext, companyId: string): Promise<DemoReturning | null> {
  const row = await ctx.db
    .selectFrom("accounts")
    .innerJoin("customers", "customers.id", "accounts.customer_id")
    .innerJoin("banks", "banks.id", "accounts.bank_id")
    .select(["accounts.id as account_id", "customers.id as customer_id", "customers.name as name", "banks.name as bank"])
    .where("accounts.company_id", "=", companyId)
    .where("accounts.env", "=", "sandbox")
    .where("accounts.connected", "=", true)
    .orderBy((eb) => eb.case().when("accounts.bank_id", "=", GTBANK_ID).then(0).else(1).end())
    .orderBy("accounts.created_at")
    .orderBy("accounts.id")
    .limit(1)
    .executeTakeFirst();
  return row ?? null;
}

export function demoMerchantRoutes(app: FastifyInstance, ctx: AppContext, demo: () => DemoInfo | undefined): void {
  app.get("/demo/okra-js.js", { schema: { hide: true } }, async (_req, reply) =>
    reply.type("text/javascript; charset=utf-8").header("cache-control", "public, max-age=3600").send(okraLoader()),
  );

  app.get("/demo", { schema: { hide: true } }, async (_req, reply) => {
    const info = demo();
    if (!info) return reply.code(404).type("text/plain").send("The demo page exists only while okro serve seeds the demo company.");
    const config = {
      widget: info.widget,
      api: info.api,
      key: info.sandbox.public_key,
      token: info.sandbox.token,
      app_id: info.sandbox.app_id,
      returning: await demoReturning(ctx, info.company_id),
    };
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .header(
        "content-security-policy",
        `default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; frame-src ${new URL(info.widget).origin}; connect-src 'self'`,
      )
      .send(page(config, info.company_name));
  });
}

function page(config: { widget: string; api: string; key: string; token: string; app_id: string; returning: DemoReturning | null }, company: string): string {
  // JSON inside a <script>: escape "<" so no value can close the tag.
  const json = JSON.stringify(config).replace(/</g, "\\u003c");
  const who = config.returning ? `${escapeHtml(config.returning.name.split(/\s+/)[0] ?? "")}, who linked ${escapeHtml(config.returning.bank)} before` : "";
  const waiting = config.returning ? "" : ' <span class="muted">(the demo customers are still being linked: reload in a minute)</span>';
  const flow = (id: string, label: string, explain: string, needsReturning = false) =>
    `<li class="flow"><button id="${id}" type="button" aria-describedby="${id}-d"${needsReturning && !config.returning ? " disabled" : ""}>${label}</button>` +
    `<p id="${id}-d">${explain}${needsReturning ? waiting : ""}</p></li>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(company)} — demo checkout (okra-js)</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#14171f}
main{max-width:760px;margin:0 auto;padding:32px 20px}
h1{font-size:1.6rem;margin:0 0 4px}
h2{font-size:1.1rem;margin:0 0 8px}
.card{background:#fff;border:1px solid #e3e6ea;border-radius:12px;padding:20px;margin:20px 0}
.flows{list-style:none;margin:0;padding:0;display:grid;gap:14px}
.flow{display:grid;grid-template-columns:minmax(0,1fr);gap:4px;align-items:center}
.flow p{margin:0;color:#4a5160;font-size:.9375rem}
@media (min-width:600px){.flow{grid-template-columns:250px minmax(0,1fr);gap:16px}}
button{font:inherit;font-weight:600;background:#1f7a5c;color:#fff;border:0;border-radius:8px;padding:12px 16px;cursor:pointer;width:100%;min-height:48px;text-align:center}
button:focus-visible{outline:3px solid #0b4f3a;outline-offset:2px}
button[disabled]{background:#8a949e;cursor:not-allowed}
code,pre{font:13px/1.45 ui-monospace,monospace;background:#f0f2f5;border-radius:6px}
code{padding:1px 5px}
pre{padding:12px;overflow:auto;white-space:pre-wrap;word-break:break-all}
.muted{color:#4a5160}
</style></head>
<body><main>
<h1>${escapeHtml(company)}</h1>
<p class="muted">A merchant page using Okra's own loader (<code>okra-js</code> 2.1.1 from npm) pointed at this Okro's widget.</p>
<div class="card">
<p>Sandbox logins (any bank): <code>okro_good</code> / <code>pass_good</code>; <code>okro_otp</code> / <code>pass_good</code>, OTP <code>123456</code>; <code>okro_question</code> / <code>pass_good</code>, answer <code>okro</code>. Payments are authorised with OTP <code>123456</code> or PIN <code>1234</code>.</p>
<h2>Account data</h2>
<ul class="flows">
${flow("link", "Link a bank account", "Standard flow: choose a bank, log in, pick the accounts to share.")}
${flow("link-returning", "Link as a returning customer", `Returning user${who ? ` (${who})` : ""}: no bank list; pick a saved account and only log in.`, true)}
</ul>
<h2 style="margin-top:20px">Payments (₦5,000)</h2>
<ul class="flows">
${flow("pay", "Pay with your bank", "Instant payment: choose a bank, log in, pick the account, approve with OTP or PIN.")}
${flow("pay-returning", "Pay as a returning customer", "Returning user: no bank list; pick a saved account, log in, approve.", true)}
${flow("quick-pay", "Quick Pay", "Bank and account already known: only approve with OTP or PIN.", true)}
</ul>
</div>
<div class="card" id="out" hidden>
<h2>onSuccess</h2>
<pre id="result"></pre>
<p>Read it from your server with the sandbox secret key (in <code>.okro/demo.json</code>):</p>
<pre id="curl"></pre>
</div>
<div class="card"><h2>Events</h2><pre id="events" aria-live="polite"></pre></div>
</main>
<script src="/demo/okra-js.js"></script>
<script>
const config = ${json};
Okra.baseUrl = config.widget.replace(/\\/$/, "");
const events = document.getElementById("events");
const log = (line) => { events.textContent += line + "\\n"; };
const show = (data, curl) => {
  document.getElementById("out").hidden = false;
  document.getElementById("result").textContent = JSON.stringify(data, null, 2);
  document.getElementById("curl").textContent =
    "curl -X POST " + config.api + "/v2/" + curl.path + " \\\\\\n  -H \\"Authorization: Bearer $(node -p \\"require('./.okro/demo.json').sandbox.secret_key\\")\\" \\\\\\n" +
        "  -H 'Content-Type: application/json' -d '" + JSON.stringify(curl.body) + "'";
};
const common = {
  name: document.title.split(" — ")[0],
  env: "production-sandbox",
  key: config.key,
  token: config.token,
  app_id: config.app_id,
  onEvent: (e) => log("event " + JSON.stringify(e.event) + " " + JSON.stringify(e.data || {})),
  onError: (e) => log("error " + JSON.stringify(e)),
  onClose: () => log("closed"),
};
const returning = config.returning ? { customer: { id: config.returning.customer_id } } : {};
const linkData = {
  products: ["auth", "balance", "transactions", "identity", "income"],
  onSuccess: (data) => show(data, { path: "auth/getByCustomer", body: { customer: data.customer_id } }),
};
const pay = {
  products: ["auth", "payments"],
  payment: true,
  charge: { type: "one-time", amount: 500000, note: "Demo order", currency: "NGN" },
  onSuccess: (data) => show(data, { path: "pay/verify", body: { payment_id: data.payment && data.payment.id } }),
};
const flows = {
  "link": () => ({ ...linkData }),
  "link-returning": () => ({ ...linkData, ...returning }),
  "pay": () => ({ ...pay }),
  "pay-returning": () => ({ ...pay, ...returning }),
  "quick-pay": () => ({ ...pay, ...returning, account_to_debit: config.returning.account_id }),
};
for (const [id, options] of Object.entries(flows)) {
  document.getElementById(id).addEventListener("click", () => Okra.buildWithOptions({ ...common, ...options() }));
}
</script>
</body></html>`;
}
