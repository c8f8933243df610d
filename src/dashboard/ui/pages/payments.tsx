import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { formatKobo, get, post, query, shortDate, type Env } from "../api.js";
import { ConfirmButton, Field, FormError, Loading, Notice, PageHeader, SelectField, Submit, Table, useForm, useLoad } from "../components.js";
import { href, type PageDef, type PageProps } from "../registry.js";
import { roleAtLeast, useSession } from "../session.js";

/**
 * Payments (issue 16 §3): the list with its filters in the URL and the CSV export of exactly that
 * filter, a payment's page with its timeline and refund / cancel / review buttons, and the review
 * queue with the company's threshold.
 */

export interface PaymentRow {
  id: string;
  amount: number;
  currency: string;
  status: string;
  state: string;
  channel: string;
  type: string;
  reference: string | null;
  customer: string | null;
  customer_name: string | null;
  bank: string | null;
  nuban: string | null;
  note: string | null;
  fee: number;
  failure: { code: string; message: string } | null;
  link: { _id: string; url: string } | null;
  created_at: string;
  last_updated: string;
}

const STATUSES = ["pending", "initiated", "review", "success_pending_validation", "completed", "error", "failed", "cancelled"];
const FILTER_KEYS = ["status", "from", "to", "amount_min", "amount_max", "customer", "bank", "channel", "link", "consent", "mandate", "batch", "q"] as const;

/** Whole naira typed by a person → kobo, as digits (never through a float). */
export function nairaToKobo(naira: string): string {
  const m = /^\s*(\d+)(?:\.(\d{1,2}))?\s*$/.exec(naira);
  if (!m) return "";
  return `${BigInt(m[1]!) * 100n + BigInt((m[2] ?? "").padEnd(2, "0") || "0")}`;
}
const koboToNaira = (kobo: string | undefined) => (kobo ? `${BigInt(kobo) / 100n}${BigInt(kobo) % 100n ? `.${String(BigInt(kobo) % 100n).padStart(2, "0")}` : ""}` : "");

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status}`}>{status.replace(/_/g, " ")}</span>;
}

export function PaymentsTable({ rows, caption }: { rows: PaymentRow[] | null; caption: string }) {
  return (
    <Table
      caption={caption}
      rows={rows}
      rowKey={(p) => p.id}
      empty="No payments match."
      columns={[
        { label: "Amount", render: (p) => <a href={href(`/payments/${p.id}`)}>{formatKobo(p.amount, p.currency)}</a> },
        { label: "Status", render: (p) => <StatusBadge status={p.status} /> },
        { label: "Customer", render: (p) => p.customer_name ?? p.customer ?? "—" },
        { label: "Channel", render: (p) => p.channel },
        { label: "Created", render: (p) => shortDate(p.created_at) },
      ]}
    />
  );
}

function PaymentsPage({ query: q }: PageProps) {
  const { env } = useSession();
  const { route } = useLocation();
  const filters = Object.fromEntries(FILTER_KEYS.map((k) => [k, q[k] ?? ""])) as Record<(typeof FILTER_KEYS)[number], string>;
  const form = useForm({
    q: filters.q,
    status: filters.status,
    from: filters.from,
    to: filters.to,
    min: koboToNaira(filters.amount_min),
    max: koboToNaira(filters.amount_max),
    channel: filters.channel,
    batch: filters.batch,
    mandate: filters.mandate,
  });
  const params = { env, ...filters };
  const [page, error] = useLoad(
    () => get<{ payments: PaymentRow[]; next_cursor: string | null; total: number; total_capped: boolean }>(`/payments${query({ ...params, cursor: q.cursor, limit: 25 })}`).then((r) => r.data),
    [env, JSON.stringify(q)],
  );
  const apply = form.submit(async (v) => {
    route(href("/payments", { q: v.q, status: v.status, from: v.from, to: v.to, amount_min: nairaToKobo(v.min), amount_max: nairaToKobo(v.max), channel: v.channel, batch: v.batch.trim(), mandate: v.mandate.trim(), link: filters.link, consent: filters.consent }));
  });
  const exportUrl = `/dashboard/api/payments/export.csv${query(params)}`;
  return (
    <>
      <PageHeader title="Payments">
        <a class="button" href={exportUrl} download>
          Export CSV
        </a>
      </PageHeader>
      <form class="card filters" onSubmit={apply} role="search" aria-label="Filter payments">
        <Field form={form} name="q" label="Search" type="search" placeholder="Payment id, reference, customer" />
        <SelectField form={form} name="status" label="Status" options={[{ value: "", label: "Any" }, ...STATUSES.map((s) => ({ value: s, label: s.replace(/_/g, " ") }))]} />
        <Field form={form} name="from" label="From" type="date" />
        <Field form={form} name="to" label="To" type="date" />
        <Field form={form} name="min" label="Min amount (₦)" inputMode="decimal" />
        <Field form={form} name="max" label="Max amount (₦)" inputMode="decimal" />
        <SelectField form={form} name="channel" label="Channel" options={[{ value: "", label: "Any" }, { value: "api", label: "API" }, { value: "widget", label: "Widget" }, { value: "link", label: "Payment link" }]} />
        <Field form={form} name="batch" label="Bulk upload (batch id)" placeholder="24-character id" />
        <Field form={form} name="mandate" label="Mandate id" placeholder="24-character id" />
        <FormError form={form} />
        <Submit form={form}>Apply filters</Submit>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      {!page && !error && <Loading />}
      {page && (
        <section class="card">
          <p aria-live="polite">
            {page.total_capped ? "More than 10,000" : page.total} payment{page.total === 1 ? "" : "s"}
            {filters.link ? " of this link" : ""}
          </p>
          <PaymentsTable rows={page.payments} caption={`${env} payments`} />
          <p class="actions">
            {q.cursor && <a href={href("/payments", { ...filters })}>First page</a>}
            {page.next_cursor && <a href={href("/payments", { ...filters, cursor: page.next_cursor })}>Next page</a>}
          </p>
        </section>
      )}
    </>
  );
}

interface PaymentDetail {
  payment: PaymentRow;
  history: Array<{ from: string | null; to: string; status: string; actor: string; reason: string; at: string }>;
  refunds: Array<{ _id: string; amount: number; status: string; created_at: string }>;
  ledger: Array<{ id: string; kind: string; created_at: string; postings: Array<{ account: string; direction: string; amount: number }> }>;
  activity: Array<{
    event: { id: string; type: string; created_at: string };
    deliveries: Array<{ id: string; status: string; attempts: Array<{ attempt: number; status_code: number | null; error: string | null; started_at: string }> }>;
  }>;
}

function PaymentPage({ params }: PageProps) {
  const { env, me } = useSession();
  const [detail, error, reload] = useLoad(() => get<PaymentDetail>(`/payments/${params.id}${query({ env })}`).then((r) => r.data), [env, params.id]);
  const [refundAmount, setRefundAmount] = useState("");
  const [done, setDone] = useState<string | null>(null);
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!detail) return <Loading />;
  const p = detail.payment;
  const canAct = roleAtLeast(me.user.role, "admin");
  const act = (path: string, body: Record<string, unknown>, message: string) => async () => {
    await post(path, { env, payment_id: p.id, ...body });
    setDone(message);
    reload();
  };
  const refunded = detail.refunds.filter((r) => r.status !== "failed").reduce((s, r) => s + r.amount, 0);
  return (
    <>
      <PageHeader title={`Payment ${formatKobo(p.amount, p.currency)}`} />
      {done && <Notice kind="success">{done}</Notice>}
      <section class="card">
        <dl class="facts">
          <dt>Status</dt>
          <dd>
            <StatusBadge status={p.status} />
          </dd>
          <dt>Payment id</dt>
          <dd>
            <code>{p.id}</code>
          </dd>
          <dt>Reference</dt>
          <dd>{p.reference ?? "—"}</dd>
          <dt>Customer</dt>
          <dd>{p.customer_name ?? p.customer ?? "—"}</dd>
          <dt>Bank account</dt>
          <dd>{p.nuban ?? "—"}</dd>
          <dt>Fee</dt>
          <dd>{formatKobo(p.fee, p.currency)}</dd>
          <dt>Refunded</dt>
          <dd>{formatKobo(refunded, p.currency)}</dd>
          {p.failure && (
            <>
              <dt>Failure</dt>
              <dd>
                {p.failure.code}: {p.failure.message}
              </dd>
            </>
          )}
        </dl>
        {canAct ? (
          <div class="actions">
            {p.status === "completed" && refunded < p.amount && (
              <>
                <label for="refund-amount">Refund amount (₦, empty: all that is left)</label>
                <input id="refund-amount" inputMode="decimal" value={refundAmount} onInput={(e) => setRefundAmount((e.currentTarget as HTMLInputElement).value)} />
                <ConfirmButton
                  label="Refund"
                  danger
                  question={`Refund ${refundAmount ? `₦${refundAmount}` : formatKobo(p.amount - refunded, p.currency)} to the customer's account?`}
                  confirmLabel="Yes, refund"
                  onConfirm={act("/payments/refund", { confirm: true, ...(refundAmount ? { amount: Number(nairaToKobo(refundAmount)) } : {}) }, "Refund initiated.")}
                />
              </>
            )}
            {(p.status === "pending" || p.state === "awaiting_authorisation") && (
              <ConfirmButton label="Cancel payment" question="Cancel this payment? Nothing has been sent to the bank." confirmLabel="Yes, cancel" onConfirm={act("/payments/cancel", {}, "Payment cancelled.")} />
            )}
            {p.status === "review" && (
              <>
                <ConfirmButton label="Approve" question={`Approve and debit ${formatKobo(p.amount, p.currency)}?`} confirmLabel="Yes, approve" onConfirm={act("/payments/review/approve", { confirm: true }, "Payment approved.")} />
                <ConfirmButton label="Decline" danger question="Decline this payment? Nothing will be debited." confirmLabel="Yes, decline" onConfirm={act("/payments/review/decline", {}, "Payment declined.")} />
              </>
            )}
          </div>
        ) : (
          <p class="hint">Your role can see payments but not refund, cancel or approve them.</p>
        )}
      </section>
      <section class="card">
        <h2>Timeline</h2>
        <ol class="timeline">
          {detail.history.map((t) => (
            <li key={`${t.at}-${t.to}`}>
              <time>{shortDate(t.at)}</time> <StatusBadge status={t.status} /> {t.from ? `${t.from} → ${t.to}` : t.to} <span class="hint">({t.actor}: {t.reason.replace(/_/g, " ")})</span>
            </li>
          ))}
        </ol>
      </section>
      {detail.refunds.length > 0 && (
        <section class="card">
          <h2>Refunds</h2>
          <Table caption="Refunds" rows={detail.refunds} rowKey={(r) => r._id} empty="" columns={[
            { label: "Amount", render: (r) => formatKobo(r.amount) },
            { label: "Status", render: (r) => <StatusBadge status={r.status} /> },
            { label: "Created", render: (r) => shortDate(r.created_at) },
          ]} />
        </section>
      )}
      <section class="card">
        <h2>Events and webhooks</h2>
        <Table caption="Events" rows={detail.activity} rowKey={(a) => a.event.id} empty="No events." columns={[
          { label: "Event", render: (a) => <code>{a.event.type}</code> },
          { label: "At", render: (a) => shortDate(a.event.created_at) },
          { label: "Webhook deliveries", render: (a) => (a.deliveries.length === 0 ? "none" : a.deliveries.map((d) => `${d.status} (${d.attempts.map((t) => t.status_code ?? t.error ?? "?").join(", ") || "not tried yet"})`).join("; ")) },
        ]} />
      </section>
      <section class="card">
        <h2>Ledger postings</h2>
        <Table caption="Ledger entries" rows={detail.ledger} rowKey={(e) => e.id} empty="No money has moved." columns={[
          { label: "Entry", render: (e) => e.kind.replace(/_/g, " ") },
          { label: "Postings", render: (e) => e.postings.map((x) => `${x.direction} ${x.account} ${formatKobo(x.amount)}`).join("; ") },
          { label: "At", render: (e) => shortDate(e.created_at) },
        ]} />
      </section>
    </>
  );
}

function ReviewPage() {
  const { env, me } = useSession();
  const [data, error, reload] = useLoad(
    () =>
      Promise.all([get<{ payments: PaymentRow[] }>(`/payments${query({ env, status: "review", limit: 100 })}`), get<{ threshold: number | null }>(`/settings/review${query({ env })}`)]).then(
        ([list, settings]) => ({ payments: list.data.payments, threshold: settings.data.threshold }),
      ),
    [env],
  );
  const form = useForm({ threshold: "" });
  const canAct = roleAtLeast(me.user.role, "admin");
  const save = form.submit(async (v, key) => {
    await post("/settings/review", { env, threshold: v.threshold ? Number(nairaToKobo(v.threshold)) : null }, { key });
    form.reset({ threshold: "" });
    reload();
  });
  const decide = (id: string, path: string, body: Record<string, unknown>) => async () => {
    await post(path, { env, payment_id: id, ...body });
    reload();
  };
  return (
    <>
      <PageHeader title="Review queue" />
      {error && <Notice kind="error">{error}</Notice>}
      {!data && !error && <Loading />}
      {data && (
        <>
          <section class="card">
            <p>
              {data.threshold === null ? "No review: every payment goes straight to the bank." : `Payments above ${formatKobo(data.threshold)} wait here until approved or declined.`}
            </p>
            {canAct && (
              <form onSubmit={save} class="inline-form">
                <Field form={form} name="threshold" label="Review payments above (₦; empty: no review)" inputMode="decimal" />
                <FormError form={form} />
                <Submit form={form}>Save threshold</Submit>
              </form>
            )}
          </section>
          <section class="card">
            <Table caption="Payments in review" rows={data.payments} rowKey={(p) => p.id} empty="Nothing waits for review." columns={[
              { label: "Amount", render: (p) => <a href={href(`/payments/${p.id}`)}>{formatKobo(p.amount, p.currency)}</a> },
              { label: "Customer", render: (p) => p.customer_name ?? p.customer ?? "—" },
              { label: "Created", render: (p) => shortDate(p.created_at) },
              {
                label: "Decision",
                render: (p) =>
                  canAct ? (
                    <span class="actions">
                      <ConfirmButton label="Approve" question={`Debit ${formatKobo(p.amount)}?`} confirmLabel="Yes, approve" onConfirm={decide(p.id, "/payments/review/approve", { confirm: true })} />
                      <ConfirmButton label="Decline" danger question="Nothing will be debited." confirmLabel="Yes, decline" onConfirm={decide(p.id, "/payments/review/decline", {})} />
                    </span>
                  ) : (
                    "—"
                  ),
              },
            ]} />
          </section>
        </>
      )}
    </>
  );
}

export type { Env };
export const paymentPages: PageDef[] = [
  { path: "/payments", title: "Payments", component: PaymentsPage, nav: { section: "Payments", order: 10 } },
  { path: "/payments/review", title: "Review queue", component: ReviewPage, nav: { section: "Payments", label: "Review queue", order: 20 } },
  { path: "/payments/:id", title: "Payment", component: PaymentPage },
];
