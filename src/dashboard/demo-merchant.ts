import { createRequire } from "node:module";
import fs from "node:fs";
import type { FastifyInstance } from "fastify";
import type { DemoInfo } from "../seed.js";

/**
 * `/demo`: a merchant's checkout page, as a developer would write it, for the demo company. It
 * loads Okra's own loader (okra-js 2.1.1 from npm, unchanged) and points its `baseUrl` at Okro's
 * widget origin — the one-line change an Okra integration makes — so `npm start` shows the whole
 * link flow working with the sandbox credentials, and what `onSuccess` hands a merchant.
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

export function demoMerchantRoutes(app: FastifyInstance, demo: () => DemoInfo | undefined): void {
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

function page(config: { widget: string; api: string; key: string; token: string; app_id: string }, company: string): string {
  // JSON inside a <script>: escape "<" so no value can close the tag.
  const json = JSON.stringify(config).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(company)} — demo checkout (okra-js)</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#14171f}
main{max-width:720px;margin:0 auto;padding:32px 20px}
h1{font-size:1.6rem;margin:0 0 4px}
.card{background:#fff;border:1px solid #e3e6ea;border-radius:12px;padding:20px;margin:20px 0}
button{font:inherit;font-weight:600;background:#1f7a5c;color:#fff;border:0;border-radius:8px;padding:12px 20px;cursor:pointer}
button:focus-visible{outline:3px solid #0b4f3a;outline-offset:2px}
button+button{margin-left:8px}
code,pre{font:13px/1.45 ui-monospace,monospace;background:#f0f2f5;border-radius:6px}
code{padding:1px 5px}
pre{padding:12px;overflow:auto;white-space:pre-wrap;word-break:break-all}
.muted{color:#4a5160}
</style></head>
<body><main>
<h1>${escapeHtml(company)}</h1>
<p class="muted">A merchant page using Okra's own loader (<code>okra-js</code> 2.1.1 from npm) pointed at this Okro's widget.</p>
<div class="card">
<p>Sandbox logins (any bank): <code>okro_good</code> / <code>pass_good</code>; <code>okro_otp</code> / <code>pass_good</code>, OTP <code>123456</code>; <code>okro_question</code> / <code>pass_good</code>, answer <code>okro</code>.</p>
<button id="link" type="button">Link a bank account</button>
<button id="pay" type="button">Pay ₦5,000 with your bank</button>
<p class="muted">Payments are authorised with OTP <code>123456</code> or PIN <code>1234</code>.</p>
</div>
<div class="card" id="out" hidden>
<h2 style="font-size:1.1rem;margin:0 0 8px">onSuccess</h2>
<pre id="result"></pre>
<p>Read the account from your server with the sandbox secret key (in <code>.okro/demo.json</code>):</p>
<pre id="curl"></pre>
</div>
<div class="card"><h2 style="font-size:1.1rem;margin:0 0 8px">Events</h2><pre id="events" aria-live="polite"></pre></div>
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
document.getElementById("link").addEventListener("click", () => {
  Okra.buildWithOptions({
    ...common,
    products: ["auth", "balance", "transactions", "identity", "income"],
    onSuccess: (data) => show(data, { path: "auth/getByCustomer", body: { customer: data.customer_id } }),
  });
});
document.getElementById("pay").addEventListener("click", () => {
  Okra.buildWithOptions({
    ...common,
    products: ["auth", "payments"],
    payment: true,
    charge: { type: "one-time", amount: 500000, note: "Demo order", currency: "NGN" },
    onSuccess: (data) => show(data, { path: "pay/verify", body: { payment_id: data.payment && data.payment.id } }),
  });
});
</script>
</body></html>`;
}
