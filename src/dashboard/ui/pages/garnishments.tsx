import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { formatKobo, get, post, query, shortDate } from "../api.js";
import { ConfirmButton, Field, FormError, Loading, Notice, PageHeader, SelectField, Submit, Table, useForm, useLoad } from "../components.js";
import { href, type PageDef, type PageProps } from "../registry.js";
import { roleAtLeast, useSession } from "../session.js";
import { nairaToKobo, PaymentsTable, StatusBadge, type PaymentRow } from "./payments.js";

/**
 * Garnishments (issue 16 item 5): the list with its filters (status, debtor) in the URL, and a
 * recovery's page: the debtor, what is owed (principal and interest apart), collected and
 * remaining (the garnish service's figures, derived from its payments), the covered accounts,
 * each sweep with every account's balance seen and what was taken or why not, its debits and its
 * history; pause / resume / lower the debt / cancel / sweep now behind a confirmation (admins;
 * the API enforces it and writes the audit entry).
 */

interface GarnishmentRow {
  id: string;
  status: string;
  status_reason: string | null;
  customer: string;
  customer_name: string | null;
  currency: string;
  debt: { principal: number; interest: number; owed: number };
  collected: number;
  remaining: number;
  in_flight: number;
  refunded: number;
  floor: number;
  schedule: { interval: string | null; day_of_month: number | null; start_date: string; end_date: string | null };
  mandates: { mandate: string; account: string; bank: string; status: string }[];
  sweeps: number;
  reference: string | null;
  purpose: string | null;
  created_at: string;
}

interface SweepRow {
  _id: string;
  sweep: number;
  trigger: string;
  at: string;
  owed_before: number;
  taken: number;
  outcome: string;
  reason: string | null;
  accounts: { account: string; mandate: string; balance_seen: number | null; taken: number; payment: string | null; skipped: string | null }[];
}

interface Pagination {
  totalDocs: number;
  page: number;
  totalPages: number;
  nextPage: number | null;
  prevPage: number | null;
}

const STATUSES = ["awaiting_consent", "active", "paused", "repaid", "cancelled", "expired"];
const LIVE = ["awaiting_consent", "active", "paused"];
const words = (s: string) => s.replace(/_/g, " ");

function GarnishmentsPage({ query: q }: PageProps) {
  const { env } = useSession();
  const { route } = useLocation();
  const filters = { status: q.status ?? "", customer: q.customer ?? "" };
  const form = useForm({ status: filters.status, customer: filters.customer });
  const [data, error] = useLoad(
    () => get<{ garnishments: GarnishmentRow[]; pagination: Pagination }>(`/garnishments${query({ env, ...filters, page: q.page, limit: 25 })}`).then((r) => r.data),
    [env, JSON.stringify(q)],
  );
  const apply = form.submit(async (v) => {
    route(href("/garnishments", { status: v.status, customer: v.customer.trim() }));
  });
  return (
    <>
      <PageHeader title="Garnishments" />
      <form class="card filters" onSubmit={apply} role="search" aria-label="Filter garnishments">
        <SelectField form={form} name="status" label="Status" options={[{ value: "", label: "Any" }, ...STATUSES.map((s) => ({ value: s, label: words(s) }))]} />
        <Field form={form} name="customer" label="Debtor (customer id)" placeholder="24-character id" />
        <FormError form={form} />
        <Submit form={form}>Apply filters</Submit>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      {!data && !error && <Loading />}
      {data && (
        <section class="card">
          <p aria-live="polite">
            {data.pagination.totalDocs} garnishment{data.pagination.totalDocs === 1 ? "" : "s"}
          </p>
          <Table
            caption={`${env} garnishments`}
            rows={data.garnishments}
            rowKey={(g) => g.id}
            empty="No garnishments match."
            columns={[
              { label: "Debtor", render: (g) => <a href={href(`/garnishments/${g.id}`)}>{g.customer_name ?? g.customer}</a> },
              { label: "Status", render: (g) => <StatusBadge status={g.status} /> },
              { label: "Owed", render: (g) => formatKobo(g.debt.owed, g.currency) },
              { label: "Collected", render: (g) => formatKobo(g.collected, g.currency) },
              { label: "Remaining", render: (g) => formatKobo(g.remaining, g.currency) },
              { label: "Accounts", render: (g) => String(g.mandates.length) },
              { label: "Created", render: (g) => shortDate(g.created_at) },
            ]}
          />
          <p class="actions">
            {data.pagination.prevPage && <a href={href("/garnishments", { ...filters, page: data.pagination.prevPage })}>Previous page</a>}
            {data.pagination.nextPage && <a href={href("/garnishments", { ...filters, page: data.pagination.nextPage })}>Next page</a>}
          </p>
        </section>
      )}
    </>
  );
}

interface GarnishmentDetail {
  garnishment: GarnishmentRow;
  accounts: Record<string, { nuban: string; name: string; bank_name: string }>;
  sweeps: SweepRow[];
  sweeps_pagination: Pagination;
  debits: PaymentRow[];
  history: Array<{ from: string | null; to: string; actor: string; reason: string; at: string }>;
}

/** Lower the debt: the form's values, then a confirmation; a refusal names its field beside it. */
function LowerDebt({ g, env, onDone }: { g: GarnishmentRow; env: string; onDone: (message: string) => void }) {
  const form = useForm({ principal: "", interest: "" });
  const [open, setOpen] = useState(false);
  const send = form.submit(async (v, key) => {
    const body: Record<string, unknown> = { env, id: g.id, confirm: true };
    // Unreadable amounts go to the server as -1, so its own rule names the field.
    const kobo = (naira: string) => (nairaToKobo(naira) === "" ? -1 : Number(nairaToKobo(naira)));
    if (v.principal.trim()) body.principal = kobo(v.principal);
    if (v.interest.trim()) body.interest = kobo(v.interest);
    const r = await post<{ garnishment: GarnishmentRow }>("/garnishments/lower", body, { key });
    setOpen(false);
    form.reset();
    onDone(r.message);
  });
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Lower the debt
      </button>
    );
  const p = form.values.principal.trim() ? nairaToKobo(form.values.principal) : "";
  const i = form.values.interest.trim() ? nairaToKobo(form.values.interest) : "";
  return (
    <form class="card lower" onSubmit={(e) => e.preventDefault()} aria-label="Lower the debt">
      <p class="hint">
        The debt may only go down (the debtor consented to it). Now: principal {formatKobo(g.debt.principal, g.currency)}, interest {formatKobo(g.debt.interest, g.currency)}. At or below what was
        collected, the recovery is repaid and any excess is refunded.
      </p>
      <Field form={form} name="principal" label="New principal (₦)" inputMode="decimal" placeholder={(g.debt.principal / 100).toFixed(2)} />
      <Field form={form} name="interest" label="New interest (₦)" inputMode="decimal" placeholder={(g.debt.interest / 100).toFixed(2)} />
      <FormError form={form} />
      <div class="actions">
        <ConfirmButton
          label="Lower the debt"
          question={`Lower the debt${p ? ` to principal ${formatKobo(Number(p), g.currency)}` : ""}${i ? `${p ? " and" : " to"} interest ${formatKobo(Number(i), g.currency)}` : ""}? This cannot be raised again.`}
          confirmLabel="Yes, lower it"
          onConfirm={() => send()}
        />
        <button type="button" onClick={() => (setOpen(false), form.reset())}>
          Close
        </button>
      </div>
    </form>
  );
}

function GarnishmentPage({ params, query: q }: PageProps) {
  const { env, me } = useSession();
  const [detail, error, reload] = useLoad(() => get<GarnishmentDetail>(`/garnishments/${params.id}${query({ env, page: q.page })}`).then((r) => r.data), [env, params.id, q.page]);
  const [done, setDone] = useState<string | null>(null);
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!detail) return <Loading />;
  const g = detail.garnishment;
  const canAct = roleAtLeast(me.user.role, "admin");
  const live = LIVE.includes(g.status);
  const who = g.customer_name ?? "the debtor";
  const act = (verb: "pause" | "resume" | "cancel" | "sweep", message: string) => async () => {
    await post(`/garnishments/${verb}`, { env, id: g.id, confirm: true });
    setDone(message);
    reload();
  };
  const accountName = (id: string) => {
    const a = detail.accounts[id];
    return a ? `${a.bank_name} ····${a.nuban.slice(-4)}` : id;
  };
  return (
    <>
      <PageHeader title={`Garnishment: ${who}`} />
      {done && (
        <Notice kind="success">
          <span role="status">{done}</span>
        </Notice>
      )}
      <section class="card">
        <dl class="facts">
          <dt>Status</dt>
          <dd>
            <StatusBadge status={g.status} />
            {g.status_reason && <span class="hint"> ({words(g.status_reason)})</span>}
          </dd>
          <dt>Debtor</dt>
          <dd>
            <a href={href(`/customers/${g.customer}`)}>{who}</a>
          </dd>
          <dt>Principal</dt>
          <dd>{formatKobo(g.debt.principal, g.currency)}</dd>
          <dt>Interest</dt>
          <dd>{formatKobo(g.debt.interest, g.currency)}</dd>
          <dt>Owed</dt>
          <dd>{formatKobo(g.debt.owed, g.currency)} (penalties are never recovered)</dd>
          <dt>Collected</dt>
          <dd data-testid="collected">{formatKobo(g.collected, g.currency)}</dd>
          <dt>Remaining</dt>
          <dd data-testid="remaining">{formatKobo(g.remaining, g.currency)}</dd>
          {g.in_flight > 0 && (
            <>
              <dt>In flight</dt>
              <dd>{formatKobo(g.in_flight, g.currency)} (debits at the bank, outcome not yet known)</dd>
            </>
          )}
          {g.refunded > 0 && (
            <>
              <dt>Refunded</dt>
              <dd>{formatKobo(g.refunded, g.currency)}</dd>
            </>
          )}
          <dt>Left in each account</dt>
          <dd>{formatKobo(g.floor, g.currency)}</dd>
          <dt>Schedule</dt>
          <dd>
            {g.schedule.interval ?? "on request"} at 08:00 Lagos from {g.schedule.start_date}
            {g.schedule.end_date ? ` until ${g.schedule.end_date}` : ""}
          </dd>
          {g.reference && (
            <>
              <dt>Reference</dt>
              <dd>{g.reference}</dd>
            </>
          )}
          {g.purpose && (
            <>
              <dt>Purpose</dt>
              <dd>{g.purpose}</dd>
            </>
          )}
          <dt>Garnishment id</dt>
          <dd>
            <code>{g.id}</code>
          </dd>
        </dl>
        {canAct ? (
          live ? (
            <div class="actions">
              {g.status === "active" && (
                <ConfirmButton
                  label="Sweep now"
                  question={`Sweep now? Each covered account's balance is read and what is above ${formatKobo(g.floor, g.currency)} is taken, up to ${formatKobo(g.remaining, g.currency)} in all.`}
                  confirmLabel="Yes, sweep now"
                  onConfirm={act("sweep", "Sweep queued: it appears in the sweep history once it ran.")}
                />
              )}
              {g.status === "active" && (
                <ConfirmButton label="Pause" question="Pause this garnishment? Sweeps that fall due while it is paused are skipped, not caught up." confirmLabel="Yes, pause" onConfirm={act("pause", "Garnishment paused.")} />
              )}
              {g.status === "paused" && <ConfirmButton label="Resume" question={`Resume this garnishment? ${who} is swept again from the next scheduled sweep.`} confirmLabel="Yes, resume" onConfirm={act("resume", "Garnishment resumed.")} />}
              <LowerDebt g={g} env={env} onDone={(m) => (setDone(m), reload())} />
              <ConfirmButton
                label="Cancel garnishment"
                danger
                question={`Cancel this garnishment? Nothing more is taken from ${who} (debits already at the bank finish); this cannot be undone.`}
                confirmLabel="Yes, cancel it"
                onConfirm={act("cancel", "Garnishment cancelled.")}
              />
            </div>
          ) : (
            <p class="hint">This garnishment has ended: nothing more is swept.</p>
          )
        ) : (
          <p class="hint">Your role can see garnishments but not sweep, pause, resume, lower or cancel them.</p>
        )}
      </section>
      <section class="card">
        <h2>Covered accounts</h2>
        <Table
          caption="Accounts this garnishment may draw on"
          rows={g.mandates}
          rowKey={(m) => m.mandate}
          empty="No accounts."
          columns={[
            { label: "Account", render: (m) => accountName(m.account) },
            { label: "Holder", render: (m) => detail.accounts[m.account]?.name ?? "" },
            { label: "Sweep mandate", render: (m) => <a href={href(`/mandates/${m.mandate}`)}>{words(m.status)}</a> },
          ]}
        />
        <p class="hint">Each sweep tries the largest balance first.</p>
      </section>
      <section class="card">
        <h2>Sweep history</h2>
        {detail.sweeps.length === 0 && <p>No sweeps yet.</p>}
        <ol class="sweeps">
          {detail.sweeps.map((s) => (
            <li key={s._id} class="sweep">
              <h3>
                Sweep {s.sweep} · <time>{shortDate(s.at)}</time> · {s.trigger === "request" ? "requested" : "scheduled"} · <StatusBadge status={s.outcome} />
              </h3>
              <p>
                Owed before: {formatKobo(s.owed_before, g.currency)} · taken: <strong>{formatKobo(s.taken, g.currency)}</strong>
                {s.reason && <span class="hint"> ({words(s.reason)})</span>}
              </p>
              {s.accounts.length > 0 && (
                <Table
                  caption={`Accounts in sweep ${s.sweep}, in the order tried`}
                  rows={s.accounts}
                  rowKey={(a) => a.mandate}
                  empty="No accounts."
                  columns={[
                    { label: "Account", render: (a) => accountName(a.account) },
                    { label: "Balance seen", render: (a) => (a.balance_seen === null ? "enquiry failed" : formatKobo(a.balance_seen, g.currency)) },
                    { label: "Taken", render: (a) => (a.payment ? <a href={href(`/payments/${a.payment}`)}>{formatKobo(a.taken, g.currency)}</a> : formatKobo(a.taken, g.currency)) },
                    { label: "Why not", render: (a) => (a.skipped ? words(a.skipped) : "") },
                  ]}
                />
              )}
            </li>
          ))}
        </ol>
        <p class="actions">
          {detail.sweeps_pagination.prevPage && <a href={href(`/garnishments/${g.id}`, { page: detail.sweeps_pagination.prevPage })}>Newer sweeps</a>}
          {detail.sweeps_pagination.nextPage && <a href={href(`/garnishments/${g.id}`, { page: detail.sweeps_pagination.nextPage })}>Older sweeps</a>}
        </p>
      </section>
      <section class="card">
        <h2>Debits</h2>
        <PaymentsTable rows={detail.debits} caption="Payments of this garnishment (whether each debit succeeded or failed)" />
      </section>
      <section class="card">
        <h2>History</h2>
        <ol class="timeline">
          {detail.history.map((t) => (
            <li key={`${t.at}-${t.to}`}>
              <time>{shortDate(t.at)}</time> <StatusBadge status={t.to} /> {t.from ? `from ${words(t.from)}` : "created"} <span class="hint">({t.actor}: {words(t.reason)})</span>
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}

export const garnishmentPages: PageDef[] = [
  { path: "/garnishments", title: "Garnishments", component: GarnishmentsPage, nav: { section: "Payments", order: 35 } },
  { path: "/garnishments/:id", title: "Garnishment", component: GarnishmentPage },
];
