import { get, post, shortDate } from "../api.js";
import { ConfirmButton, Field, FormError, Loading, Notice, PageHeader, Submit, Table, useForm, useLoad } from "../components.js";
import { href, type PageDef } from "../registry.js";
import { roleAtLeast, useSession } from "../session.js";

interface AccessRequest {
  id: string;
  company_name?: string;
  state: "pending" | "approved" | "declined";
  business: { legal_name: string; registration_number: string; address: string; website?: string; contact_phone: string; description: string };
  created_at: string;
  decided_at: string | null;
  decided_by: string | null;
  decision_note: string | null;
}
interface AccessStatus {
  production_enabled: boolean;
  latest_request: AccessRequest | null;
  operator: boolean;
}

/** Payment access: sandbox at once; production after the operator approves the business details sent here. */
function PaymentAccessPage() {
  const { me } = useSession();
  const [status, error, reload] = useLoad(() => get<AccessStatus>("/payment-access").then((r) => r.data), []);
  const form = useForm({ legal_name: "", registration_number: "", address: "", website: "", contact_phone: "", description: "" });
  const admin = roleAtLeast(me.user.role, "admin");
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!status) return <Loading />;
  const latest = status.latest_request;
  const canAsk = !status.production_enabled && latest?.state !== "pending";
  return (
    <>
      <PageHeader title="Payment access">{status.operator && <a href={href("/operator")}>Operator: review requests</a>}</PageHeader>
      <section class="card">
        <h2>Sandbox</h2>
        <p>
          <span class="badge good">Enabled</span> Test payments work now, with test customers and no real money.
        </p>
        <h2>Production</h2>
        {status.production_enabled ? (
          <p>
            <span class="badge good">Enabled</span> Your company can take real payments with its production keys.
          </p>
        ) : latest?.state === "pending" ? (
          <p>
            <span class="badge wait">Waiting for review</span> You asked on {shortDate(latest.created_at)} for {latest.business.legal_name}. You will be told by email.
          </p>
        ) : latest?.state === "declined" ? (
          <Notice kind="warning">
            <p>
              <span class="badge bad">Declined</span> on {shortDate(latest.decided_at)}
              {latest.decision_note ? `: ${latest.decision_note}` : "."} Correct your details and ask again below.
            </p>
          </Notice>
        ) : (
          <p>
            <span class="badge">Not requested</span> Tell us about your business; the platform operator reviews it and enables production payments.
          </p>
        )}
      </section>
      {canAsk &&
        (admin ? (
          <section class="card">
            <h2>Request production access</h2>
            <form
              noValidate
              onSubmit={form.submit(async (v, key) => {
                await post("/payment-access/request", { ...v, website: v.website || undefined }, { key });
                reload();
              })}
            >
              <Field form={form} name="legal_name" label="Registered business name" autoComplete="organization" required />
              <Field form={form} name="registration_number" label="CAC registration number" hint="For example RC 123456 or BN 1234567." required />
              <Field form={form} name="address" label="Business address" autoComplete="street-address" required />
              <Field form={form} name="website" label="Website (optional)" type="url" autoComplete="url" />
              <Field form={form} name="contact_phone" label="Contact phone" type="tel" autoComplete="tel" required />
              <Field form={form} name="description" label="What you will collect payments for" required />
              <FormError form={form} />
              <Submit form={form}>Send request</Submit>
            </form>
          </section>
        ) : (
          <p class="hint">An admin or the owner of your company can request production access.</p>
        ))}
    </>
  );
}

/** The platform operator's queue: approve or decline companies' requests. */
function OperatorPage() {
  const [requests, error, reload] = useLoad(() => get<{ requests: AccessRequest[] }>("/operator/access-requests").then((r) => r.data.requests), []);
  return (
    <>
      <PageHeader title="Operator: payment access" />
      {error && <Notice kind="error">{error}</Notice>}
      <Table
        caption="Payment access requests"
        rows={error ? [] : requests}
        rowKey={(r) => r.id}
        empty="No requests."
        columns={[
          { label: "Company", render: (r) => r.company_name ?? r.id },
          { label: "Business", render: (r) => `${r.business.legal_name} (${r.business.registration_number})` },
          { label: "Phone", render: (r) => r.business.contact_phone },
          { label: "Asked", render: (r) => shortDate(r.created_at) },
          { label: "State", render: (r) => <span class={`badge ${r.state === "approved" ? "good" : r.state === "declined" ? "bad" : "wait"}`}>{r.state}</span> },
          {
            label: "Decision",
            render: (r) =>
              r.state === "pending" ? (
                <span class="actions">
                  <ConfirmButton
                    label={`Approve ${r.business.legal_name}`}
                    question="Enable production payments for this company?"
                    confirmLabel="Approve"
                    onConfirm={async () => {
                      await post("/operator/access-requests/decide", { id: r.id, decision: "approve" });
                      reload();
                    }}
                  />
                  <ConfirmButton
                    label={`Decline ${r.business.legal_name}`}
                    question="Decline this request? The company is told and may ask again."
                    confirmLabel="Decline"
                    danger
                    onConfirm={async () => {
                      await post("/operator/access-requests/decide", { id: r.id, decision: "decline", note: "Details could not be verified" });
                      reload();
                    }}
                  />
                </span>
              ) : (
                `${r.decided_by ?? ""} ${shortDate(r.decided_at)}`
              ),
          },
        ]}
      />
    </>
  );
}

export const accessPages: PageDef[] = [
  { path: "/settings/payment-access", title: "Payment access", component: PaymentAccessPage, nav: { section: "Settings", order: 20 } },
  { path: "/operator", title: "Operator", component: OperatorPage },
];
