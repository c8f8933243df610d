/**
 * The dashboard's first screen: sign in, then the company's credentials (client token, keys with
 * rotation) and apps per environment, on top of the dashboard JSON API (/dashboard/api). Plain
 * HTML, CSS and JS: no build step, no external requests, served with a strict CSP.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Okro dashboard</title><link rel="stylesheet" href="/dashboard/app.css"></head>
<body>
<header><span class="brand">okro</span><span id="who" class="who"></span></header>
<main>
<section id="signin" class="card narrow" hidden>
  <h1>Sign in</h1>
  <form id="signin-form">
    <label>Email <input id="email" name="email" type="email" autocomplete="username" required></label>
    <label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
    <p id="signin-error" class="error" role="alert" aria-live="polite"></p>
    <button type="submit">Sign in</button>
  </form>
  <p class="hint">Running <code>npm start</code>? The demo login is printed in the banner and in <code>.okro/demo.json</code>.</p>
</section>
<section id="home" hidden>
  <div class="row"><h1 id="company"></h1>
    <div class="envs" role="tablist" aria-label="Environment">
      <button role="tab" data-env="sandbox" aria-selected="true">Sandbox</button>
      <button role="tab" data-env="production" aria-selected="false">Production</button>
    </div></div>
  <div id="new-key" class="callout" role="status" hidden></div>
  <section class="card"><h2>Credentials</h2>
    <p>Client token <code id="token"></code></p>
    <table><thead><tr><th>Key</th><th>Kind</th><th>Created</th><th>Status</th></tr></thead><tbody id="keys"></tbody></table>
    <p class="actions"><button data-rotate="secret">Rotate secret key</button> <button data-rotate="public">Rotate public key</button></p>
  </section>
  <section class="card"><h2>Apps</h2>
    <table><thead><tr><th>Name</th><th>app_id</th><th>Products</th></tr></thead><tbody id="apps"></tbody></table>
  </section>
  <p><a href="/docs">API reference</a> · <button id="signout" class="link">Sign out</button></p>
</section>
</main>
<script src="/dashboard/app.js"></script>
</body></html>`;

export const DASHBOARD_CSS = `*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,sans-serif;color:#1c2b27;background:#f4f8f6}
header{display:flex;justify-content:space-between;align-items:center;padding:.75rem 1.25rem;background:#fff;border-bottom:1px solid #dde8e3}
.brand{font-weight:700;font-size:1.4rem;color:#2a8a6c}.who{color:#52635d}main{max-width:60rem;margin:1.5rem auto;padding:0 1rem}
.card{background:#fff;border:1px solid #dde8e3;border-radius:10px;padding:1rem 1.25rem;margin-bottom:1rem;overflow-x:auto}.narrow{max-width:24rem;margin:3rem auto}
h1{font-size:1.4rem;margin:.25rem 0 1rem}h2{font-size:1.1rem;margin:.25rem 0 .75rem}label{display:block;margin-bottom:.75rem}
input{display:block;width:100%;padding:.55rem;border:1px solid #9fb3ab;border-radius:6px;font:inherit;margin-top:.25rem}
button{font:inherit;padding:.5rem .9rem;border-radius:6px;border:1px solid #2a8a6c;background:#2a8a6c;color:#fff;cursor:pointer}
button:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #f0b429;outline-offset:2px}
.link{background:none;border:none;color:#1d6b53;text-decoration:underline;padding:0}.envs button{background:#fff;color:#1d6b53}
.envs button[aria-selected=true]{background:#2a8a6c;color:#fff}.row{display:flex;justify-content:space-between;align-items:center;flex-wrap:wrap;gap:.5rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e6eeea;white-space:nowrap}
code{background:#eef6f3;padding:.1rem .3rem;border-radius:4px;word-break:break-all;white-space:normal}.error{color:#a12a1e;min-height:1.2em;margin:.25rem 0}
.callout{background:#fff7e0;border:1px solid #f0b429;border-radius:10px;padding:.75rem 1rem;margin-bottom:1rem}.hint{color:#52635d;font-size:.9rem}
.ok{color:#1d6b53}.off{color:#8a8f8d}`;

export const DASHBOARD_JS = `"use strict";
(function () {
  var env = "sandbox";
  var $ = function (id) { return document.getElementById(id); };
  function api(method, path, body) {
    return fetch("/dashboard/api" + path, {
      method: method, credentials: "same-origin",
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined
    }).then(function (res) { return res.json().then(function (json) { return { status: res.status, json: json }; }); });
  }
  function cell(text, cls) { var td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td; }
  function row(cells) { var tr = document.createElement("tr"); cells.forEach(function (c) { tr.appendChild(c); }); return tr; }
  function show(signedIn) { $("signin").hidden = signedIn; $("home").hidden = !signedIn; }
  function render() {
    return Promise.all([api("GET", "/me"), api("GET", "/apps?env=" + env + "&limit=100")]).then(function (r) {
      if (r[0].status === 401) { show(false); $("who").textContent = ""; $("email").focus(); return; }
      var me = r[0].json.data, environment = me.environments[env];
      show(true);
      $("who").textContent = me.user.email;
      $("company").textContent = me.company.name;
      $("token").textContent = environment.client_token;
      var keys = $("keys"); keys.textContent = "";
      environment.keys.forEach(function (k) {
        keys.appendChild(row([cell(k.display_prefix + "…"), cell(k.kind), cell(k.created_at.slice(0, 10)),
          cell(k.active ? (k.expires_at ? "active until " + k.expires_at.slice(0, 16).replace("T", " ") : "active") : "revoked", k.active ? "ok" : "off")]));
      });
      var apps = $("apps"); apps.textContent = "";
      (r[1].json.data ? r[1].json.data.apps : []).forEach(function (a) {
        apps.appendChild(row([cell(a.name), cell(a.app_id), cell(a.products.join(", "))]));
      });
      document.querySelectorAll("[role=tab]").forEach(function (b) { b.setAttribute("aria-selected", String(b.dataset.env === env)); });
    });
  }
  $("signin-form").addEventListener("submit", function (e) {
    e.preventDefault();
    $("signin-error").textContent = "";
    api("POST", "/login", { email: $("email").value, password: $("password").value }).then(function (r) {
      if (r.status !== 200) { $("signin-error").textContent = r.json.message || "Could not sign in"; return; }
      $("password").value = ""; render();
    }, function () { $("signin-error").textContent = "Network error: check your connection and try again."; });
  });
  document.querySelectorAll("[role=tab]").forEach(function (b) {
    b.addEventListener("click", function () { env = b.dataset.env; $("new-key").hidden = true; render(); });
  });
  document.querySelectorAll("[data-rotate]").forEach(function (b) {
    b.addEventListener("click", function () {
      var kind = b.dataset.rotate;
      if (!confirm("Rotate the " + env + " " + kind + " key? The current one stops working now.")) return;
      api("POST", "/keys/rotate", { env: env, kind: kind }).then(function (r) {
        var box = $("new-key"); box.hidden = false; box.textContent = "";
        if (r.status !== 200) { box.textContent = r.json.message; return; }
        box.append("New " + env + " " + kind + " key (shown only now, copy it): ");
        var code = document.createElement("code"); code.textContent = r.json.data.key.key; box.appendChild(code);
        render();
      });
    });
  });
  $("signout").addEventListener("click", function () { api("POST", "/logout", {}).then(render); });
  render();
})();`;
