import { useLocation } from "preact-iso";
import { Fragment } from "preact";
import { useState } from "preact/hooks";
import { formatKobo, get, post, query, shortDate } from "../api.js";
import { ConfirmButton, Field, FormError, Loading, Notice, PageHeader, SelectField, Submit, Table, useForm, useLoad } from "../components.js";
import { href, type PageDef, type PageProps } from "../registry.js";
import { roleAtLeast, useSession } from "../session.js";
import { PaymentsTable, StatusBadge, type PaymentRow } from "./payments.js";

/**
 * Mandates (issue 16 item 3): the list with its filters (status, customer) in the URL, and a
 * mandate's page: its terms in words, upcoming charges, its charges (each linking to its payment's
 * page) and its history, with pause / resume / cancel behind a confirmation (admins; the API
 * enforces it and writes the audit entry).
 */

export interface MandateRow {
  id: string;
  status: string;
  status_reason: string | null;
  customer: string;
  customer_name: string | null;
  debit_type: "fixed" | "variable";
  currency: string;
  amount: number | null;
  max_total: number | null;
  description: string;
  created_at: string;
}

interface Pagination {
  totalDocs: number;
  page: number;
  totalPages: number;
  nextPage: number | null;
  prevPage: number | null;
}

const STATUSES = ["awaiting_customer", "awaiting_bank", "active", "paused", "cancelled", "expired", "revoked", "rejected"];

export function MandatesTable({ rows, caption }: { rows: MandateRow[] | null; caption: string }) {
  return (
    <Table
      caption={caption}
      rows={rows}
      rowKey={(m) => m.id}
      empty="No mandates match."
      columns={[
        { label: "Mandate", render: (m) => <a href={href(`/mandates/${m.id}`)}>{m.amount !== null ? `${formatKobo(m.amount, m.currency)} each` : `Up to ${formatKobo(m.max_total ?? 0, m.currency)}`}</a> },
        { label: "Status", render: (m) => <StatusBadge status={m.status} /> },
        { label: "Customer", render: (m) => <a href={href(`/customers/${m.customer}`)}>{m.customer_name ?? m.customer}</a> },
        { label: "Terms", render: (m) => m.description },
        { label: "Created", render: (m) => shortDate(m.created_at) },
      ]}
    />
  );
}

function MandatesPage({ query: q }: PageProps) {
  const { env } = useSession();
  const { route } = useLocation();
  const filters = { status: q.status ?? "", customer: q.customer ?? "" };
  const form = useForm({ status: filters.status, customer: filters.customer });
  const [data, error] = useLoad(
    () => get<{ mandates: MandateRow[]; pagination: Pagination }>(`/mandates${query({ env, ...filters, page: q.page, limit: 25 })}`).then((r) => r.data),
    [env, JSON.stringify(q)],
  );
  const apply = form.submit(async (v) => {
    route(href("/mandates", { status: v.status, customer: v.customer.trim() }));
  });
  return (
    <>
      <PageHeader title="Mandates" />
      <form class="card filters" onSubmit={apply} role="search" aria-label="Filter mandates">
        <SelectField form={form} name="status" label="Status" options={[{ value: "", label: "Any" }, ...STATUSES.map((s) => ({ value: s, label: s.replace(/_/g, " ") }))]} />
        <Field form={form} name="customer" label="Customer id" placeholder="24-character id" />
        <FormError form={form} />
        <Submit form={form}>Apply filters</Submit>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      {!data && !error && <Loading />}
      {data && (
        <section class="card">
          <p aria-live="polite">
            {data.pagination.totalDocs} mandate{data.pagination.totalDocs === 1 ? "" : "s"}
          </p>
          <MandatesTable rows={data.mandates} caption={`${env} mandates`} />
          <p class="actions">
            {data.pagination.prevPage && <a href={href("/mandates", { ...filters, page: data.pagination.prevPage })}>Previous page</a>}
            {data.pagination.nextPage && <a href={href("/mandates", { ...filters, page: data.pagination.nextPage })}>Next page</a>}
          </p>
        </section>
      )}
    </>
  );
}

interface MandateDetail {
  mandate: MandateRow;
  terms: Array<{ label: string; value: string }>;
  upcoming: Array<{ cycle: number; date: string; amount: number }>;
  charges: Array<PaymentRow & { cycle: number | null; attempt: number | null }>;
  history: Array<{ from: string | null; to: string; actor: string; reason: string; at: string }>;
}

function MandatePage({ params }: PageProps) {
  const { env, me } = useSession();
  const [detail, error, reload] = useLoad(() => get<MandateDetail>(`/mandates/${params.id}${query({ env })}`).then((r) => r.data), [env, params.id]);
  const [done, setDone] = useState<string | null>(null);
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!detail) return <Loading />;
  const m = detail.mandate;
  const canAct = roleAtLeast(me.user.role, "admin");
  const act = (verb: "pause" | "resume" | "cancel", message: string) => async () => {
    await post(`/mandates/${verb}`, { env, mandate_id: m.id, confirm: true });
    setDone(message);
    reload();
  };
  const who = m.customer_name ?? "the customer";
  const ended = ["cancelled", "expired", "revoked", "rejected"].includes(m.status);
  return (
    <>
      <PageHeader title={`Mandate: ${m.customer_name ?? m.customer}`} />
      {done && <Notice kind="success">{done}</Notice>}
      <section class="card">
        <p>{m.description}</p>
        <dl class="facts">
          <dt>Status</dt>
          <dd>
            <StatusBadge status={m.status} />
            {m.status_reason && <span class="hint"> ({m.status_reason.replace(/_/g, " ")})</span>}
          </dd>
          <dt>Mandate id</dt>
          <dd>
            <code>{m.id}</code>
          </dd>
          <dt>Customer</dt>
          <dd>
            <a href={href(`/customers/${m.customer}`)}>{m.customer_name ?? m.customer}</a>
          </dd>
          {detail.terms.map((t) => (
            <Fragment key={t.label}>
              <dt>{t.label}</dt>
              <dd>{t.value}</dd>
            </Fragment>
          ))}
        </dl>
        {canAct ? (
          <div class="actions">
            {m.status === "active" && (
              <ConfirmButton label="Pause" question={`Pause this mandate? Charges that fall due while it is paused are skipped, not caught up.`} confirmLabel="Yes, pause" onConfirm={act("pause", "Mandate paused.")} />
            )}
            {m.status === "paused" && <ConfirmButton label="Resume" question={`Resume this mandate? ${who} is charged again from the next date.`} confirmLabel="Yes, resume" onConfirm={act("resume", "Mandate resumed.")} />}
            {!ended && (
              <ConfirmButton label="Cancel mandate" danger question={`Cancel this mandate? Nothing more is charged to ${who}; this cannot be undone.`} confirmLabel="Yes, cancel it" onConfirm={act("cancel", "Mandate cancelled.")} />
            )}
          </div>
        ) : (
          <p class="hint">Your role can see mandates but not pause, resume or cancel them.</p>
        )}
      </section>
      <section class="card">
        <h2>Upcoming charges</h2>
        <Table caption="Upcoming charges" rows={detail.upcoming} rowKey={(u) => String(u.cycle)} empty={ended ? "None: the mandate has ended." : "None scheduled (charges are made on request)."} columns={[
          { label: "Date", render: (u) => u.date },
          { label: "Amount", render: (u) => formatKobo(u.amount, m.currency) },
          { label: "Charge", render: (u) => `#${u.cycle + 1}` },
        ]} />
        {m.status === "paused" && <p class="hint">Paused: these dates are skipped until the mandate is resumed.</p>}
      </section>
      <section class="card">
        <h2>Charges</h2>
        <PaymentsTable rows={detail.charges} caption="Charges of this mandate" />
      </section>
      <section class="card">
        <h2>History</h2>
        <ol class="timeline">
          {detail.history.map((t) => (
            <li key={`${t.at}-${t.to}`}>
              <time>{shortDate(t.at)}</time> <StatusBadge status={t.to} /> {t.from ? `from ${t.from.replace(/_/g, " ")}` : "created"} <span class="hint">({t.actor}: {t.reason.replace(/_/g, " ")})</span>
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}

export const mandatePages: PageDef[] = [
  { path: "/mandates", title: "Mandates", component: MandatesPage, nav: { section: "Payments", order: 30 } },
  { path: "/mandates/:id", title: "Mandate", component: MandatePage },
];
