import { useLocation } from "preact-iso";
import { formatKobo, get, post, query, shortDate } from "../api.js";
import { ConfirmButton, CopyButton, Field, FormError, Loading, Notice, PageHeader, SelectField, Submit, Table, useForm, useLoad } from "../components.js";
import { href, type PageDef, type PageProps } from "../registry.js";
import { roleAtLeast, useSession } from "../session.js";
import { nairaToKobo, PaymentsTable, type PaymentRow } from "./payments.js";

/**
 * Payment links with no code (issue 16 §4): a form with a live preview (the same fields and rules
 * as `pay/link/create`), the link with its QR code and share buttons, and a link's page with its
 * payments and a disable button.
 */

interface LinkView {
  id: string;
  url: string;
  qr?: string | null;
  name: string;
  note: string | null;
  amount: number | null;
  currency: string;
  reusable: boolean;
  status: string;
  expires_at: string | null;
  support_email: string | null;
  payments_count: number;
  created_at: string;
}

function Share({ link }: { link: LinkView }) {
  const text = encodeURIComponent(`Pay ${link.name}: ${link.url}`);
  return (
    <p class="actions">
      <CopyButton text={link.url} label="Copy link" />
      <a class="button" href={`https://wa.me/?text=${text}`} target="_blank" rel="noopener noreferrer">
        Share on WhatsApp
      </a>
      <a class="button" href={`mailto:?subject=${encodeURIComponent(link.name)}&body=${text}`}>
        Share by email
      </a>
    </p>
  );
}

function LinksPage() {
  const { env, me } = useSession();
  const { route } = useLocation();
  const [links, error, reload] = useLoad(() => get<{ links: LinkView[] }>(`/links${query({ env, limit: 50 })}`).then((r) => r.data.links), [env]);
  const form = useForm({ name: "", amount: "", note: "", support_email: "", reusable: "one-time", expires_at: "" });
  const canCreate = roleAtLeast(me.user.role, "developer");
  const v = form.values;
  const create = form.submit(async (values, key) => {
    const res = await post<{ link: LinkView }>(
      "/links/create",
      {
        env,
        name: values.name,
        ...(values.amount ? { amount: Number(nairaToKobo(values.amount)) || 0 } : {}),
        ...(values.note ? { note: values.note } : {}),
        ...(values.support_email ? { support_email: values.support_email } : {}),
        reusable: values.reusable === "reusable",
        ...(values.expires_at ? { expires_at: new Date(`${values.expires_at}T23:59:59Z`).toISOString() } : {}),
      },
      { key },
    );
    form.reset();
    reload();
    route(href(`/links/${res.data.link.id}`, { created: 1 }));
  });
  return (
    <>
      <PageHeader title="Payment links" />
      {canCreate && (
        <div class="two-columns">
          <form class="card" onSubmit={create} aria-label="New payment link">
            <h2>New payment link</h2>
            <Field form={form} name="name" label="What is it for?" required />
            <Field form={form} name="amount" label="Amount (₦)" hint="Empty: the payer enters the amount" inputMode="decimal" />
            <Field form={form} name="note" label="Note to the payer" />
            <Field form={form} name="support_email" label="Support email" type="email" hint="Empty: your company's email" />
            <SelectField form={form} name="reusable" label="Use" options={[{ value: "one-time", label: "One payment" }, { value: "reusable", label: "Reusable (many payments)" }]} />
            <Field form={form} name="expires_at" label="Expires after" type="date" hint="Empty: never" />
            <FormError form={form} />
            <Submit form={form}>Create link</Submit>
          </form>
          <section class="card preview" aria-label="Preview">
            <h2>Preview</h2>
            <p class="hint">What the payer sees</p>
            <p class="preview-name">{v.name || "What it is for"}</p>
            <p class="preview-amount">{v.amount && nairaToKobo(v.amount) ? formatKobo(Number(nairaToKobo(v.amount))) : "Payer enters the amount"}</p>
            {v.note && <p>{v.note}</p>}
            <p class="hint">{v.reusable === "reusable" ? "Can be paid many times" : "Can be paid once"}{v.expires_at ? `, until ${v.expires_at}` : ""}</p>
          </section>
        </div>
      )}
      {error && <Notice kind="error">{error}</Notice>}
      {!links && !error && <Loading />}
      {links && (
        <section class="card">
          <Table caption={`${env} payment links`} rows={links} rowKey={(l) => l.id} empty="No payment links yet." columns={[
            { label: "Name", render: (l) => <a href={href(`/links/${l.id}`)}>{l.name}</a> },
            { label: "Amount", render: (l) => (l.amount === null ? "payer enters" : formatKobo(l.amount, l.currency)) },
            { label: "Status", render: (l) => l.status },
            { label: "Payments", render: (l) => l.payments_count },
            { label: "Created", render: (l) => shortDate(l.created_at) },
          ]} />
        </section>
      )}
    </>
  );
}

function LinkPage({ params, query: q }: PageProps) {
  const { env, me } = useSession();
  const [data, error, reload] = useLoad(
    () =>
      Promise.all([get<{ link: LinkView }>(`/links/${params.id}${query({ env })}`), get<{ payments: PaymentRow[] }>(`/payments${query({ env, link: params.id, limit: 50 })}`)]).then(([l, p]) => ({
        link: l.data.link,
        payments: p.data.payments,
      })),
    [env, params.id],
  );
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!data) return <Loading />;
  const { link } = data;
  return (
    <>
      <PageHeader title={link.name} />
      {q.created && <Notice kind="success">Your payment link is ready: share it, or let payers scan the QR code.</Notice>}
      <section class="card link-card">
        {link.qr && <img src={link.qr} width={200} height={200} alt={`QR code for ${link.url}`} />}
        <div>
          <p>
            <a id="link-url" href={link.url} target="_blank" rel="noopener noreferrer">
              {link.url}
            </a>
          </p>
          <p>
            {link.amount === null ? "The payer enters the amount" : formatKobo(link.amount, link.currency)} · {link.reusable ? "reusable" : "one payment"} · status <strong>{link.status}</strong>
          </p>
          <Share link={link} />
          {link.status === "active" && roleAtLeast(me.user.role, "developer") && (
            <ConfirmButton
              label="Disable link"
              danger
              question="Disable this link? Nobody can pay it any more."
              confirmLabel="Yes, disable"
              onConfirm={async () => {
                await post("/links/disable", { env, id: link.id });
                reload();
              }}
            />
          )}
        </div>
      </section>
      <section class="card">
        <h2>Payments of this link</h2>
        <PaymentsTable rows={data.payments} caption="Payments of this link" />
      </section>
    </>
  );
}

export const linkPages: PageDef[] = [
  { path: "/links", title: "Payment links", component: LinksPage, nav: { section: "Payments", label: "Payment links", order: 30 } },
  { path: "/links/:id", title: "Payment link", component: LinkPage },
];
