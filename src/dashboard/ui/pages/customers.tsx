import { useLocation } from "preact-iso";
import { get, query, shortDate } from "../api.js";
import { Field, FormError, Loading, Notice, PageHeader, Submit, Table, useForm, useLoad } from "../components.js";
import { href, type PageDef, type PageProps } from "../registry.js";
import { useSession } from "../session.js";
import { MandatesTable, type MandateRow } from "./mandates.js";
import { PaymentsTable, type PaymentRow } from "./payments.js";

/**
 * Customers (issue 16 item 3): the list with one search box (id, email, NUBAN, phone or part of a
 * name; kept in the URL), and a customer's page with their linked accounts, mandates and payments.
 */

interface CustomerRow {
  id: string;
  name: string;
  kind: string;
  external_id: string | null;
  emails: string[];
  phones: string[];
  created_at: string;
  accounts: number;
}

function CustomersPage({ query: q }: PageProps) {
  const { env } = useSession();
  const { route } = useLocation();
  const form = useForm({ q: q.q ?? "" });
  const [data, error] = useLoad(
    () => get<{ customers: CustomerRow[]; pagination: { totalDocs: number; nextPage: number | null; prevPage: number | null } }>(`/customers${query({ env, q: q.q, page: q.page, limit: 25 })}`).then((r) => r.data),
    [env, JSON.stringify(q)],
  );
  const search = form.submit(async (v) => {
    route(href("/customers", { q: v.q.trim() }));
  });
  return (
    <>
      <PageHeader title="Customers" />
      <form class="card filters" onSubmit={search} role="search" aria-label="Search customers">
        <Field form={form} name="q" label="Search" type="search" placeholder="Name, email, NUBAN, phone or id" />
        <FormError form={form} />
        <Submit form={form}>Search</Submit>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      {!data && !error && <Loading />}
      {data && (
        <section class="card">
          <p aria-live="polite">
            {data.pagination.totalDocs} customer{data.pagination.totalDocs === 1 ? "" : "s"}
          </p>
          <Table
            caption={`${env} customers`}
            rows={data.customers}
            rowKey={(c) => c.id}
            empty="No customers match."
            columns={[
              { label: "Name", render: (c) => <a href={href(`/customers/${c.id}`)}>{c.name}</a> },
              { label: "Email", render: (c) => c.emails[0] ?? "—" },
              { label: "Accounts", render: (c) => String(c.accounts) },
              { label: "Since", render: (c) => shortDate(c.created_at) },
            ]}
          />
          <p class="actions">
            {data.pagination.prevPage && <a href={href("/customers", { q: q.q, page: data.pagination.prevPage })}>Previous page</a>}
            {data.pagination.nextPage && <a href={href("/customers", { q: q.q, page: data.pagination.nextPage })}>Next page</a>}
          </p>
        </section>
      )}
    </>
  );
}

interface CustomerDetail {
  customer: Omit<CustomerRow, "accounts">;
  accounts: Array<{ id: string; bank: string; nuban: string; name: string; type: string; currency: string; connected: boolean }>;
  mandates: MandateRow[];
  payments: PaymentRow[];
  more_payments: boolean;
}

function CustomerPage({ params }: PageProps) {
  const { env } = useSession();
  const [detail, error] = useLoad(() => get<CustomerDetail>(`/customers/${params.id}${query({ env })}`).then((r) => r.data), [env, params.id]);
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!detail) return <Loading />;
  const c = detail.customer;
  return (
    <>
      <PageHeader title={c.name} />
      <section class="card">
        <dl class="facts">
          <dt>Customer id</dt>
          <dd>
            <code>{c.id}</code>
          </dd>
          {c.external_id && (
            <>
              <dt>Your id</dt>
              <dd>{c.external_id}</dd>
            </>
          )}
          <dt>Email</dt>
          <dd>{c.emails.join(", ") || "—"}</dd>
          <dt>Phone</dt>
          <dd>{c.phones.join(", ") || "—"}</dd>
          <dt>Customer since</dt>
          <dd>{shortDate(c.created_at)}</dd>
        </dl>
      </section>
      <section class="card">
        <h2>Linked accounts</h2>
        <Table caption="Linked accounts" rows={detail.accounts} rowKey={(a) => a.id} empty="No linked accounts." columns={[
          { label: "Account", render: (a) => `${a.name} · ${a.nuban}` },
          { label: "Bank", render: (a) => a.bank },
          { label: "Type", render: (a) => `${a.type} (${a.currency})` },
          { label: "Shared", render: (a) => (a.connected ? "yes" : "no") },
        ]} />
      </section>
      <section class="card">
        <h2>Mandates</h2>
        <MandatesTable rows={detail.mandates} caption="Mandates of this customer" />
      </section>
      <section class="card">
        <h2>Payments</h2>
        <PaymentsTable rows={detail.payments} caption="Latest payments of this customer" />
        {detail.more_payments && (
          <p>
            <a href={href("/payments", { customer: c.id })}>All payments of {c.name}</a>
          </p>
        )}
      </section>
    </>
  );
}

export const customerPages: PageDef[] = [
  { path: "/customers", title: "Customers", component: CustomersPage, nav: { section: "Customers", order: 10 } },
  { path: "/customers/:id", title: "Customer", component: CustomerPage },
];
