import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { get, post, query, shortDate } from "../api.js";
import { ConfirmButton, Field, FormError, Loading, Notice, PageHeader, Secretish, SelectField, Submit, Table, useForm, useLoad } from "../components.js";
import { href, type PageDef, type PageProps } from "../registry.js";
import { roleAtLeast, useSession } from "../session.js";

/**
 * Developers → Webhooks (issue 16 §2): endpoints (add, edit, disable, delete; the signing secret
 * shown once when made or rotated), each endpoint's deliveries, and a delivery's page with the
 * request that was sent and every attempt's answer, with resend. The rules are the API's
 * (`/v2/webhooks/*`), served through /dashboard/api/webhooks*.
 */

export interface EndpointView {
  id: string;
  url: string;
  description: string | null;
  event_types: string[];
  enabled: boolean;
  disabled_reason: string | null;
  source: "api" | "app";
  app_id: string | null;
  has_bearer_token: boolean;
  secret_hint: string;
  previous_secret_expires_at: string | null;
  created_at: string;
}

export interface DeliveryView {
  id: string;
  event_id: string;
  event_type: string;
  endpoint_id: string;
  object: { type: string; id: string };
  status: "pending" | "succeeded" | "failed";
  attempt_count: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
}

interface Pagination {
  page: number;
  totalDocs: number;
  nextPage: number | null;
  prevPage: number | null;
}

const DAY_MS = 86_400_000;
const dayOf = (d: Date) => d.toISOString().slice(0, 10);
/** The API's event types field: comma- or space-separated in the form, a list on the wire. */
const typesOf = (text: string) => text.split(/[\s,]+/).filter(Boolean);

export function DeliveryStatus({ d }: { d: Pick<DeliveryView, "status" | "last_status_code"> }) {
  const kind = d.status === "succeeded" ? "good" : d.status === "failed" ? "bad" : "wait";
  return (
    <span class={`badge ${kind}`}>
      {d.status}
      {d.last_status_code !== null ? ` · ${d.last_status_code}` : ""}
    </span>
  );
}

/** Deliveries as rows: event, status, attempts, when; each opens its page. */
export function DeliveriesTable({ rows, caption }: { rows: DeliveryView[]; caption: string }) {
  return (
    <Table
      caption={caption}
      rows={rows}
      rowKey={(d) => d.id}
      empty="No deliveries."
      columns={[
        { label: "Event", render: (d) => <a href={href(`/developers/webhooks/deliveries/${d.id}`)}>{d.event_type}</a> },
        { label: "Status", render: (d) => <DeliveryStatus d={d} /> },
        { label: "Attempts", render: (d) => d.attempt_count },
        { label: "Object", render: (d) => <code>{d.object.id}</code> },
        { label: "Created", render: (d) => shortDate(d.created_at) },
        { label: "Next try", render: (d) => shortDate(d.next_attempt_at) },
      ]}
    />
  );
}

/** The secret of an endpoint just made or rotated: shown here once. */
function SecretOnce({ secret }: { secret: string }) {
  return (
    <Notice kind="warning">
      <p>The signing secret is shown only now: copy it to where your server verifies webhook signatures.</p>
      <Secretish value={secret} label="webhook signing secret" />
    </Notice>
  );
}

/**
 * The secret of the endpoint just added, handed from the list page to the endpoint's page it
 * routes to. Kept in memory only (never in the URL or storage) and taken once.
 */
let issued: { id: string; secret: string } | null = null;
function takeIssued(id: string): string | null {
  const secret = issued?.id === id ? issued.secret : null;
  issued = null;
  return secret;
}

function WebhooksPage() {
  const { env, me } = useSession();
  const { route } = useLocation();
  const canChange = roleAtLeast(me.user.role, "developer");
  const [data, error] = useLoad(() => get<{ endpoints: EndpointView[] }>(`/webhooks${query({ env, limit: 50 })}`).then((r) => r.data.endpoints), [env]);
  const form = useForm({ url: "", description: "", event_types: "", bearer_token: "" });
  const create = form.submit(async (v, key) => {
    const res = await post<{ endpoint: EndpointView & { secret: string } }>(
      "/webhooks/create",
      {
        env,
        url: v.url,
        ...(v.description ? { description: v.description } : {}),
        ...(v.event_types.trim() ? { event_types: typesOf(v.event_types) } : {}),
        ...(v.bearer_token ? { bearer_token: v.bearer_token } : {}),
      },
      { key },
    );
    form.reset();
    issued = { id: res.data.endpoint.id, secret: res.data.endpoint.secret };
    route(href(`/developers/webhooks/${res.data.endpoint.id}`));
  });
  return (
    <>
      <PageHeader title="Webhooks" />
      <p>
        Okro POSTs each {env} event to these URLs, signed with the endpoint's secret (Standard Webhooks: <code>webhook-id</code>, <code>webhook-timestamp</code>,{" "}
        <code>webhook-signature</code>). Events that could not be delivered are retried for three days; you can resend them here.
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      {!data && !error && <Loading />}
      {data && (
        <section class="card">
          <h2>Endpoints</h2>
          <Table
            caption={`${env} webhook endpoints`}
            rows={data}
            rowKey={(e) => e.id}
            empty="No endpoints yet: add one below."
            columns={[
              { label: "URL", render: (e) => <a href={href(`/developers/webhooks/${e.id}`)}>{e.url}</a> },
              { label: "Status", render: (e) => <span class={`badge ${e.enabled ? "good" : "bad"}`}>{e.enabled ? "enabled" : "disabled"}</span> },
              { label: "Events", render: (e) => (e.event_types.length ? e.event_types.join(", ") : "all") },
              { label: "From", render: (e) => (e.source === "app" ? "app callback" : "endpoint") },
              { label: "Secret", render: (e) => <code>…{e.secret_hint}</code> },
            ]}
          />
        </section>
      )}
      {canChange ? (
        <form class="card" onSubmit={create} aria-label="Add a webhook endpoint">
          <h2>Add an endpoint</h2>
          <Field form={form} name="url" label="URL" type="url" required placeholder="https://example.com/webhooks/okro" hint={env === "sandbox" ? "Sandbox may call localhost." : "Production calls public https URLs only."} />
          <Field form={form} name="description" label="Description" />
          <Field form={form} name="event_types" label="Event types" hint="Comma-separated, e.g. payment.completed, payment.failed. Empty: every event." />
          <Field form={form} name="bearer_token" label="Bearer token (optional)" type="password" autoComplete="off" hint="Sent as Authorization: Bearer … with every delivery (Okra's protected endpoints)." />
          <FormError form={form} />
          <Submit form={form}>Add endpoint</Submit>
        </form>
      ) : (
        <p class="hint">Viewers can see webhooks but not change them.</p>
      )}
    </>
  );
}

function EndpointPage({ params, query: q }: PageProps) {
  const { env, me } = useSession();
  const canChange = roleAtLeast(me.user.role, "developer");
  const { route } = useLocation();
  const status = q.status ?? "";
  const page = Number(q.page ?? "1") || 1;
  const [data, error, reload] = useLoad(
    () =>
      get<{ endpoint: EndpointView; deliveries: DeliveryView[]; pagination: Pagination }>(
        `/webhooks/deliveries${query({ env, endpoint_id: params.id, status, page, limit: 25 })}`,
      ).then((r) => r.data),
    [env, params.id, status, page],
  );
  const [secret, setSecret] = useState<string | null>(() => takeIssued(params.id ?? ""));
  const [done, setDone] = useState<string | null>(null);
  const form = useForm({ url: "", description: "", event_types: "" });
  const [editing, setEditing] = useState(false);
  const endpoint = data?.endpoint;

  const change = async (body: Record<string, unknown>, message: string) => {
    await post("/webhooks/update", { env, id: params.id, ...body });
    setDone(message);
    reload();
  };
  const save = form.submit(async (v, key) => {
    await post("/webhooks/update", { env, id: params.id, url: v.url, description: v.description || null, event_types: typesOf(v.event_types) }, { key });
    setEditing(false);
    setDone("Endpoint saved.");
    reload();
  });
  const filter = useForm({ status });

  if (error) return <Notice kind="error">{error}</Notice>;
  if (!data || !endpoint) return <Loading />;
  const weekAgo = new Date(Date.now() - 7 * DAY_MS);
  const tomorrow = new Date(Date.now() + DAY_MS);
  return (
    <>
      <PageHeader title="Webhook endpoint">
        <a href={href("/developers/webhooks")}>All endpoints</a>
      </PageHeader>
      {secret && <SecretOnce secret={secret} />}
      {done && <Notice kind="success">{done}</Notice>}
      <section class="card">
        <dl class="facts">
          <dt>URL</dt>
          <dd>
            <code>{endpoint.url}</code>
          </dd>
          <dt>Status</dt>
          <dd>
            {endpoint.enabled ? "enabled" : "disabled"}
            {endpoint.disabled_reason ? ` (${endpoint.disabled_reason})` : ""}
          </dd>
          <dt>Events</dt>
          <dd>{endpoint.event_types.length ? endpoint.event_types.join(", ") : "every event"}</dd>
          <dt>Description</dt>
          <dd>{endpoint.description ?? "—"}</dd>
          <dt>Secret</dt>
          <dd>
            <code>…{endpoint.secret_hint}</code>
            {endpoint.previous_secret_expires_at ? ` (the previous one signs too until ${shortDate(endpoint.previous_secret_expires_at)})` : ""}
          </dd>
          <dt>Bearer token</dt>
          <dd>{endpoint.has_bearer_token ? "set" : "none"}</dd>
          {endpoint.source === "app" && (
            <>
              <dt>App</dt>
              <dd>
                This is the callback URL of app <a href={href(`/developers/apps/${endpoint.app_id}`)}>{endpoint.app_id}</a>: change it there.
              </dd>
            </>
          )}
        </dl>
        {canChange && (
          <div class="actions">
            {endpoint.source === "api" && !editing && (
              <button
                type="button"
                onClick={() => {
                  form.reset({ url: endpoint.url, description: endpoint.description ?? "", event_types: endpoint.event_types.join(", ") });
                  setEditing(true);
                }}
              >
                Edit
              </button>
            )}
            {endpoint.source === "api" &&
              (endpoint.enabled ? (
                <ConfirmButton label="Disable" question="Stop delivering events to this URL? Events meanwhile stay in the events feed." confirmLabel="Disable now" danger onConfirm={() => change({ enabled: false }, "Endpoint disabled.")} />
              ) : (
                <button type="button" onClick={() => change({ enabled: true }, "Endpoint enabled.")}>
                  Enable
                </button>
              ))}
            <ConfirmButton
              label="Rotate secret"
              question="Make a new signing secret? The current one keeps signing too for 24 hours, so your server can switch."
              confirmLabel="Rotate now"
              onConfirm={async () => {
                const res = await post<{ endpoint: EndpointView & { secret: string } }>("/webhooks/rotate-secret", { env, id: params.id });
                setSecret(res.data.endpoint.secret);
                reload();
              }}
            />
            {endpoint.source === "api" && (
              <ConfirmButton
                label="Delete"
                question="Delete this endpoint and its pending deliveries?"
                confirmLabel="Delete now"
                danger
                onConfirm={async () => {
                  await post("/webhooks/delete", { env, id: params.id });
                  route(href("/developers/webhooks"));
                }}
              />
            )}
          </div>
        )}
      </section>
      {editing && (
        <form class="card" onSubmit={save} aria-label="Edit the endpoint">
          <h2>Edit</h2>
          <Field form={form} name="url" label="URL" type="url" required />
          <Field form={form} name="description" label="Description" />
          <Field form={form} name="event_types" label="Event types" hint="Comma-separated. Empty: every event." />
          <FormError form={form} />
          <div class="actions">
            <Submit form={form}>Save</Submit>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <section class="card">
        <div class="page-header">
          <h2>Deliveries</h2>
          {canChange && endpoint.enabled && (
            <ConfirmButton
              label="Resend failed (last 7 days)"
              question="Send every failed delivery of the last 7 days to this endpoint again?"
              confirmLabel="Resend"
              onConfirm={async () => {
                const res = await post<{ count: number }>("/webhooks/deliveries/resend-failed", { env, endpoint_id: params.id, from: dayOf(weekAgo), to: dayOf(tomorrow) });
                setDone(`${res.data.count} failed ${res.data.count === 1 ? "delivery" : "deliveries"} queued again.`);
                reload();
              }}
            />
          )}
        </div>
        <form
          class="inline-form"
          role="search"
          aria-label="Filter deliveries"
          onSubmit={(e) => {
            e.preventDefault();
            route(href(`/developers/webhooks/${params.id}`, { status: filter.values.status }));
          }}
        >
          <SelectField
            form={filter}
            name="status"
            label="Status"
            options={[
              { value: "", label: "Any" },
              { value: "failed", label: "Failed" },
              { value: "pending", label: "Pending" },
              { value: "succeeded", label: "Succeeded" },
            ]}
          />
          <button type="submit">Show</button>
        </form>
        <DeliveriesTable rows={data.deliveries} caption={`Deliveries to ${endpoint.url}`} />
        <p class="actions">
          {data.pagination.prevPage && <a href={href(`/developers/webhooks/${params.id}`, { status, page: data.pagination.prevPage })}>Previous page</a>}
          {data.pagination.nextPage && <a href={href(`/developers/webhooks/${params.id}`, { status, page: data.pagination.nextPage })}>Next page</a>}
          <span class="hint">{data.pagination.totalDocs} in all</span>
        </p>
      </section>
    </>
  );
}

interface AttemptView {
  attempt: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_snippet: string | null;
}

function DeliveryPage({ params }: PageProps) {
  const { env, me } = useSession();
  const canChange = roleAtLeast(me.user.role, "developer");
  const [done, setDone] = useState<string | null>(null);
  const [data, error, reload] = useLoad(
    () => get<{ delivery: DeliveryView; attempts: AttemptView[]; event: Record<string, unknown> }>(`/webhooks/deliveries/${params.id}${query({ env })}`).then((r) => r.data),
    [env, params.id],
  );
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!data) return <Loading />;
  const { delivery, attempts, event } = data;
  return (
    <>
      <PageHeader title="Webhook delivery">
        <a href={href(`/developers/webhooks/${delivery.endpoint_id}`)}>Its endpoint</a>
      </PageHeader>
      {done && <Notice kind="success">{done}</Notice>}
      <section class="card">
        <dl class="facts">
          <dt>Event</dt>
          <dd>
            <a href={href(`/developers/events/${delivery.event_id}`)}>{delivery.event_type}</a>
          </dd>
          <dt>Status</dt>
          <dd>
            <DeliveryStatus d={delivery} />
            {delivery.last_error ? ` ${delivery.last_error}` : ""}
          </dd>
          <dt>Attempts</dt>
          <dd>{delivery.attempt_count}</dd>
          <dt>Next try</dt>
          <dd>{shortDate(delivery.next_attempt_at)}</dd>
        </dl>
        {canChange && (
          <ConfirmButton
            label="Resend"
            question="Send this event to the endpoint again (same webhook-id, so your server can tell it is the same)?"
            confirmLabel="Resend now"
            onConfirm={async () => {
              await post("/webhooks/deliveries/resend", { env, id: delivery.id });
              setDone("Queued: it is sent again in a moment.");
              reload();
            }}
          />
        )}
      </section>
      <section class="card">
        <h2>Request</h2>
        <p class="hint">
          POST with <code>webhook-id: {delivery.id}</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code> and <code>content-type: application/json</code>; the body:
        </p>
        <pre tabIndex={0} aria-label="Request body">
          {JSON.stringify(event, null, 2)}
        </pre>
      </section>
      <section class="card">
        <h2>Responses</h2>
        <Table
          caption="Attempts, first first"
          rows={attempts}
          rowKey={(a) => String(a.attempt)}
          empty="Not tried yet."
          columns={[
            { label: "#", render: (a) => a.attempt },
            { label: "At", render: (a) => shortDate(a.started_at) },
            { label: "Status", render: (a) => (a.status_code === null ? <span class="badge bad">no answer</span> : <span class={`badge ${a.status_code < 300 ? "good" : "bad"}`}>{a.status_code}</span>) },
            { label: "Took", render: (a) => `${a.duration_ms} ms` },
            { label: "Error", render: (a) => a.error ?? "—" },
            { label: "Response body (start)", render: (a) => (a.response_snippet ? <code>{a.response_snippet}</code> : "—") },
          ]}
        />
      </section>
    </>
  );
}

export const webhookPages: PageDef[] = [
  { path: "/developers/webhooks", title: "Webhooks", component: WebhooksPage, nav: { section: "Developers", label: "Webhooks", order: 30 } },
  { path: "/developers/webhooks/:id", title: "Webhook endpoint", component: EndpointPage },
  { path: "/developers/webhooks/deliveries/:id", title: "Webhook delivery", component: DeliveryPage },
];
