import { useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { ApiError, get, post, query, shortDate } from "../api.js";
import { ConfirmButton, CopyButton, Field, FormError, Loading, Notice, PageHeader, Secretish, Submit, Table, useForm, useLoad } from "../components.js";
import { href, type PageDef, type PageProps } from "../registry.js";
import { roleAtLeast, useSession } from "../session.js";

/**
 * Developers → Apps and the widget builder (issue 16 §2): the environment's client token (the
 * widget's `token`, copy and rotate), its apps (widget configurations), and an app's builder —
 * products, branding (colour, logo), bank filter, callback and redirect URLs — with a live
 * preview: the widget itself, framed from its own origin with the options being edited. Saved
 * through the same service as `/v2/apps/*`, so every field is checked by the API's rules.
 */

interface AppView {
  id: string;
  name: string;
  products: string[];
  logo: string | null;
  color: string;
  bank_filter: string[];
  callback_url: string | null;
  redirect_url: string | null;
  short_url: string;
  created_at: string;
}

interface BuilderInfo {
  widget_origin: string;
  products: string[];
  banks: { slug: string; name: string }[];
}

/** How long the preview waits after the last keystroke before it reloads the widget (ms). */
const PREVIEW_DELAY_MS = 600;

function ClientToken() {
  const { me, env, refresh } = useSession();
  const token = me.environments[env].client_token;
  const canRotate = roleAtLeast(me.user.role, "developer");
  return (
    <section class="card">
      <h2>Client token</h2>
      <p class="hint">The widget's <code>token</code>, next to the public key. It is not a secret: it is published in your pages.</p>
      <p class="copyable">
        <code>{token}</code> <CopyButton text={token} label="Copy client token" />
      </p>
      {canRotate && (
        <ConfirmButton
          label="Rotate client token"
          question={`Make a new ${env} client token? Pages using the current one must be updated.`}
          confirmLabel="Rotate now"
          onConfirm={async () => {
            await post("/client-token/rotate", { env });
            await refresh();
          }}
        />
      )}
    </section>
  );
}

function AppsPage() {
  const { env, me } = useSession();
  const { route } = useLocation();
  const canChange = roleAtLeast(me.user.role, "developer");
  const [apps, error] = useLoad(() => get<{ apps: AppView[] }>(`/apps${query({ env, limit: 100 })}`).then((r) => r.data.apps), [env]);
  const form = useForm({ name: "" });
  const create = form.submit(async (v, key) => {
    const res = await post<{ app: AppView }>("/apps/create", { env, name: v.name }, { key });
    form.reset();
    route(href(`/developers/apps/${res.data.app.id}`));
  });
  return (
    <>
      <PageHeader title="Apps and widget" />
      <p>An app is one configuration of the widget: what it asks for, how it looks, which banks it offers and where it reports back.</p>
      <ClientToken />
      {error && <Notice kind="error">{error}</Notice>}
      {!apps && !error && <Loading />}
      {apps && (
        <section class="card">
          <h2>Apps</h2>
          <Table
            caption={`${env} apps`}
            rows={apps}
            rowKey={(a) => a.id}
            empty="No apps yet."
            columns={[
              { label: "Name", render: (a) => <a href={href(`/developers/apps/${a.id}`)}>{a.name}</a> },
              { label: "Products", render: (a) => a.products.join(", ") },
              { label: "Banks", render: (a) => (a.bank_filter.length ? `${a.bank_filter.length} chosen` : "all") },
              { label: "App id", render: (a) => <code>{a.id}</code> },
              { label: "Created", render: (a) => shortDate(a.created_at) },
            ]}
          />
        </section>
      )}
      {canChange && (
        <form class="card inline-form" onSubmit={create} aria-label="New app">
          <Field form={form} name="name" label="New app's name" required />
          <FormError form={form} />
          <Submit form={form}>Create app</Submit>
        </form>
      )}
    </>
  );
}

type BuilderValues = { name: string; color: string; logo: string; callback_url: string; redirect_url: string; products: string; banks: string };

const valuesOf = (app: AppView): BuilderValues => ({
  name: app.name,
  color: app.color,
  logo: app.logo ?? "",
  callback_url: app.callback_url ?? "",
  redirect_url: app.redirect_url ?? "",
  products: app.products.join(","),
  banks: app.bank_filter.join(","),
});

const listOf = (csv: string) => csv.split(",").filter(Boolean);

/** The widget's full-page URL with these options (what okra-js would send it), for the preview. */
function previewUrl(info: BuilderInfo, app: AppView, v: BuilderValues, env: string, publicKey: string | null, token: string): string {
  const q = new URLSearchParams();
  if (publicKey) q.set("key", publicKey);
  q.set("token", token);
  q.set("app_id", app.id);
  q.set("env", env === "production" ? "production" : "production-sandbox");
  q.set("products", v.products);
  if (/^#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?$/.test(v.color)) q.set("color", v.color);
  if (v.logo.startsWith("https://")) q.set("logo", v.logo);
  if (v.banks) q.set("filter[banks]", v.banks);
  return `${info.widget_origin}/?${q.toString()}`;
}

function snippet(app: AppView, v: BuilderValues, env: string, publicKey: string | null, token: string): string {
  const options: Record<string, unknown> = {
    key: publicKey ?? "pk_…",
    token,
    app_id: app.id,
    env: env === "production" ? "production" : "production-sandbox",
    products: listOf(v.products),
    ...(v.banks ? { filter: { banks: listOf(v.banks) } } : {}),
    onSuccess: "function (data) { … }",
  };
  return `Okra.buildWithOptions(${JSON.stringify(options, null, 2).replace(/"(function[^"]*)"/, "$1")});`;
}

function AppPage({ params }: PageProps) {
  const { env, me } = useSession();
  const { route } = useLocation();
  const canChange = roleAtLeast(me.user.role, "developer");
  const [data, error, reload] = useLoad(
    () =>
      Promise.all([get<{ app: AppView }>(`/apps/${params.id}${query({ env })}`), get<BuilderInfo>("/widget-builder")]).then(([a, b]) => ({ app: a.data.app, info: b.data })),
    [env, params.id],
  );
  const form = useForm<BuilderValues>({ name: "", color: "", logo: "", callback_url: "", redirect_url: "", products: "", banks: "" });
  const [saved, setSaved] = useState(false);
  const [preview, setPreview] = useState("");
  useEffect(() => {
    if (data) form.reset(valuesOf(data.app));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data]);
  const v = form.values;
  const environment = me.environments[env];
  const publicKey = environment.keys.find((k) => k.kind === "public" && k.active && k.public_key)?.public_key ?? null;
  useEffect(() => {
    if (!data || !v.name) return;
    const t = setTimeout(() => setPreview(previewUrl(data.info, data.app, v, env, publicKey, environment.client_token)), PREVIEW_DELAY_MS);
    return () => clearTimeout(t);
  }, [data, v.products, v.color, v.logo, v.banks, env, publicKey, environment.client_token]);

  const save = form.submit(async (values, key) => {
    setSaved(false);
    try {
      await post(
        "/apps/update",
        {
          env,
          id: params.id,
          name: values.name,
          products: listOf(values.products),
          color: values.color,
          logo: values.logo || null,
          bank_filter: listOf(values.banks),
          callback_url: values.callback_url || null,
          redirect_url: values.redirect_url || null,
        },
        { key },
      );
    } catch (e) {
      // The API names list fields by their wire name; the form shows them beside its own.
      if (e instanceof ApiError && e.failure.kind === "http" && e.field?.startsWith("bank_filter")) throw new ApiError({ ...e.failure, field: "banks" });
      if (e instanceof ApiError && e.failure.kind === "http" && e.field?.startsWith("products")) throw new ApiError({ ...e.failure, field: "products" });
      throw e;
    }
    setSaved(true);
  });

  if (error) return <Notice kind="error">{error}</Notice>;
  if (!data) return <Loading />;
  const toggle = (name: "products" | "banks", item: string, on: boolean) => {
    const set = new Set(listOf(v[name]));
    if (on) set.add(item);
    else set.delete(item);
    form.set(name, [...set].join(","));
  };
  const chosen = { products: new Set(listOf(v.products)), banks: new Set(listOf(v.banks)) };
  return (
    <>
      <PageHeader title="Widget builder">
        <a href={href("/developers/apps")}>All apps</a>
      </PageHeader>
      {saved && <Notice kind="success">Saved. The widget uses these settings from now on.</Notice>}
      <div class="two-columns builder">
        <form class="card" onSubmit={save} aria-label="App settings">
          <h2>{data.app.name}</h2>
          <p class="copyable">
            App id <code>{data.app.id}</code> <CopyButton text={data.app.id} label="Copy app id" />
          </p>
          <Field form={form} name="name" label="Name" required disabled={!canChange} />
          <fieldset class="choices" aria-describedby="products-hint">
            <legend>Products</legend>
            <p id="products-hint" class="hint">
              What the widget asks the customer to share. Auth is always included.
            </p>
            {data.info.products.map((p) => (
              <label key={p} class="choice">
                <input type="checkbox" checked={p === "auth" || chosen.products.has(p)} disabled={p === "auth" || !canChange} onChange={(e) => toggle("products", p, e.currentTarget.checked)} /> {p}
              </label>
            ))}
            {form.errors.products && <p class="field-error">{form.errors.products}</p>}
          </fieldset>
          <Field form={form} name="color" label="Colour" hint="#rrggbb: buttons and highlights" disabled={!canChange} />
          <Field form={form} name="logo" label="Logo URL" type="url" hint="https://… (or leave empty for your company's name)" disabled={!canChange} />
          <fieldset class="choices banks" aria-describedby="banks-hint">
            <legend>Banks offered</legend>
            <p id="banks-hint" class="hint">
              None ticked: every bank.
            </p>
            <div class="choice-list">
              {data.info.banks.map((b) => (
                <label key={b.slug} class="choice">
                  <input type="checkbox" checked={chosen.banks.has(b.slug)} disabled={!canChange} onChange={(e) => toggle("banks", b.slug, e.currentTarget.checked)} /> {b.name}
                </label>
              ))}
            </div>
            {form.errors.banks && <p class="field-error">{form.errors.banks}</p>}
          </fieldset>
          <Field form={form} name="callback_url" label="Callback URL" type="url" hint="Webhooks of this app's events (it appears under Webhooks too)" disabled={!canChange} />
          <Field form={form} name="redirect_url" label="Redirect URL" type="url" hint="Where the widget sends the customer when done" disabled={!canChange} />
          <FormError form={form} />
          {canChange && (
            <div class="actions">
              <Submit form={form}>Save app</Submit>
              <ConfirmButton
                label="Delete app"
                question="Delete this app? Pages opening the widget with its id stop working."
                confirmLabel="Delete now"
                danger
                onConfirm={async () => {
                  await post("/apps/delete", { env, id: params.id });
                  route(href("/developers/apps"));
                }}
              />
            </div>
          )}
        </form>
        <section class="card preview" aria-label="Live preview">
          <h2>Live preview</h2>
          <p class="hint">The widget as your customers will see it with these settings ({env}).</p>
          {publicKey ? (
            preview && <iframe class="widget-preview" src={preview} title="Widget preview" />
          ) : (
            <Notice kind="warning">No active public key in {env}: rotate one on the API keys page to preview.</Notice>
          )}
          <h3>Open it from your page</h3>
          <pre tabIndex={0} aria-label="Integration code">
            {snippet(data.app, v, env, publicKey, environment.client_token)}
          </pre>
          <p>
            Or share the hosted widget: <Secretish value={`${data.info.widget_origin}/${data.app.short_url}`} label="short link" />
          </p>
        </section>
      </div>
    </>
  );
}

export const appPages: PageDef[] = [
  { path: "/developers/apps", title: "Apps and widget", component: AppsPage, nav: { section: "Developers", label: "Apps and widget", order: 20 } },
  { path: "/developers/apps/:id", title: "Widget builder", component: AppPage },
];
