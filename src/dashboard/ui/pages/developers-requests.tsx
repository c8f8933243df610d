import { useLocation } from "preact-iso";
import { get, query, shortDate } from "../api.js";
import { Field, FormError, Loading, Notice, PageHeader, SelectField, Submit, Table, useForm, useLoad } from "../components.js";
import { href, type PageDef, type PageProps } from "../registry.js";
import { useSession } from "../session.js";

/**
 * Developers → API requests: every request your keys made to `/v2` in this environment, newest
 * first (kept 30 days), with filters kept in the URL: method, status or class (4xx), path prefix,
 * request id (from the `x-request-id` header of an answer), Idempotency-Key. Bodies are never
 * logged.
 */

interface RequestRow {
  id: string;
  at: string;
  method: string;
  path: string;
  status: number;
  duration_ms: number;
  key_id: string;
  request_id: string;
  idempotency_key: string | null;
}

const FILTERS = ["method", "status", "path", "request_id", "idempotency_key", "key_id"] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

function RequestsPage({ query: q }: PageProps) {
  const { env } = useSession();
  const { route } = useLocation();
  const filters = Object.fromEntries(FILTERS.map((k) => [k, q[k] ?? ""])) as Filters;
  const form = useForm({ ...filters });
  const [page, error] = useLoad(
    () => get<{ requests: RequestRow[]; next_cursor: string | null; retention_days: number }>(`/request-log${query({ env, ...filters, before: q.before, limit: 50 })}`).then((r) => r.data),
    [env, ...FILTERS.map((k) => filters[k]), q.before],
  );
  // The server checks the filters (same schema as the list): a bad one comes back beside its field.
  const apply = form.submit(async (v) => {
    await get(`/request-log${query({ env, ...v, limit: 1 })}`);
    route(href("/developers/requests", v));
  });
  return (
    <>
      <PageHeader title="API requests" />
      <p>
        Requests your {env} keys made to the API, newest first{page ? `, kept ${page.retention_days} days` : ""}. Quote a request id when you write to support; bodies are
        never kept.
      </p>
      <form class="card filters" onSubmit={apply} role="search" aria-label="Filter API requests">
        <SelectField
          form={form}
          name="method"
          label="Method"
          options={[
            { value: "", label: "Any" },
            { value: "GET", label: "GET" },
            { value: "POST", label: "POST" },
          ]}
        />
        <Field form={form} name="status" label="Status" placeholder="4xx or 404" />
        <Field form={form} name="path" label="Path starts with" placeholder="/v2/pay/" />
        <Field form={form} name="request_id" label="Request id" />
        <Field form={form} name="idempotency_key" label="Idempotency-Key" />
        <FormError form={form} />
        <Submit form={form}>Apply filters</Submit>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      {!page && !error && <Loading />}
      {page && (
        <section class="card">
          <Table
            caption={`${env} API requests, newest first`}
            rows={page.requests}
            rowKey={(r) => r.id}
            empty="No requests match."
            columns={[
              { label: "When", render: (r) => shortDate(r.at) },
              { label: "Request", render: (r) => <code>{`${r.method} ${r.path}`}</code> },
              { label: "Status", render: (r) => <span class={`badge ${r.status < 300 ? "good" : r.status < 500 ? "wait" : "bad"}`}>{r.status}</span> },
              { label: "Took", render: (r) => `${r.duration_ms} ms` },
              { label: "Request id", render: (r) => <code>{r.request_id}</code> },
              { label: "Idempotency-Key", render: (r) => (r.idempotency_key ? <code>{r.idempotency_key}</code> : "—") },
              { label: "Key", render: (r) => <code>{r.key_id}</code> },
            ]}
          />
          <p class="actions">
            {q.before && <a href={href("/developers/requests", filters)}>Newest</a>}
            {page.next_cursor && <a href={href("/developers/requests", { ...filters, before: page.next_cursor })}>Older requests</a>}
          </p>
        </section>
      )}
    </>
  );
}

export const requestLogPages: PageDef[] = [
  { path: "/developers/requests", title: "API requests", component: RequestsPage, nav: { section: "Developers", label: "API requests", order: 50 } },
];
