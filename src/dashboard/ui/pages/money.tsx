import { formatKobo, get, post, query, shortDate } from "../api.js";
import { useState } from "preact/hooks";
import { ConfirmButton, Field, Loading, Notice, PageHeader, Table, useForm, useLoad } from "../components.js";
import type { PageDef } from "../registry.js";
import { roleAtLeast, useSession } from "../session.js";
import { nairaToKobo } from "./payments.js";
import { Chart, categoryBars, dailyVolumeAndRate } from "../charts.js";

/** Money (issue 16 §6): balances, payouts, the ledger's entries, and volume / success charts. */

interface Balance {
  currency: string;
  pending: number;
  available: number;
  in_transit: number;
  fees: number;
  collected: number;
}
interface Stats {
  by_day: Array<{ day: string; payments: number; succeeded: number; unsuccessful: number; volume: number; success_rate: number | null }>;
  by_bank: Array<{ bank: string | null; payments: number; volume: number; success_rate: number | null }>;
  failures: Array<{ code: string; message: string; count: number }>;
}

const percent = (r: number | null) => (r === null ? "—" : `${Math.round(r * 100)}%`);

function MoneyPage() {
  const { env, me } = useSession();
  const [data, error, reload] = useLoad(
    () =>
      Promise.all([
        get<{ balances: Balance[] }>(`/money/balances${query({ env })}`),
        get<{ payouts: Array<{ _id: string; amount: number; status: string; created_at: string; nuban_to_credit: { nuban: string } }> }>(`/money/payouts${query({ env })}`),
        get<{ entries: Array<{ id: string; kind: string; created_at: string; postings: Array<{ account: string; direction: string; amount: number }> }> }>(`/money/ledger${query({ env })}`),
        get<Stats>(`/money/stats${query({ env })}`),
      ]).then(([b, p, l, s]) => ({ balances: b.data.balances, payouts: p.data.payouts, entries: l.data.entries, stats: s.data })),
    [env],
  );
  const form = useForm({ amount: "" });
  const [payoutError, setPayoutError] = useState<string | null>(null);
  const payout = async () => {
    setPayoutError(null);
    try {
      await post("/money/payouts", { env, amount: Number(nairaToKobo(form.values.amount)) || 0, confirm: true });
      form.reset();
      reload();
    } catch (e) {
      setPayoutError(e instanceof Error ? e.message : String(e));
    }
  };
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!data) return <Loading />;
  const ngn = data.balances.find((b) => b.currency === "NGN")!;
  return (
    <>
      <PageHeader title="Money" />
      <section class="card balances" aria-label="Balances">
        <div><span class="hint">Available</span><strong>{formatKobo(ngn.available)}</strong></div>
        <div><span class="hint">Pending settlement</span><strong>{formatKobo(ngn.pending)}</strong></div>
        <div><span class="hint">In transit</span><strong>{formatKobo(ngn.in_transit)}</strong></div>
        <div><span class="hint">Fees</span><strong>{formatKobo(ngn.fees)}</strong></div>
      </section>
      {roleAtLeast(me.user.role, "admin") && (
        <form class="card" onSubmit={(e) => e.preventDefault()} aria-label="Pay out">
          <h2>Pay out</h2>
          <Field form={form} name="amount" label="Amount (₦)" inputMode="decimal" hint="To your default receiving account, from the available balance" />
          {payoutError && (
            <p class="field-error" role="alert">
              {payoutError}
            </p>
          )}
          <ConfirmButton
            label="Pay out"
            disabled={!nairaToKobo(form.values.amount)}
            question={`Pay out ₦${form.values.amount} to your default receiving account?`}
            confirmLabel="Yes, pay out"
            onConfirm={payout}
          />
        </form>
      )}
      <section class="card">
        <h2>Volume and success, last 30 days</h2>
        {data.stats.by_day.length === 0 ? (
          <p class="hint">No payments in the last 30 days.</p>
        ) : (
          <Chart
            label={`Succeeded volume and success rate by day, ${data.stats.by_day.length} days: the table "By day" below has the numbers`}
            make={(U, width) => dailyVolumeAndRate(U, width, data.stats.by_day, (k) => formatKobo(k).replace(/\.00$/, ""))}
            deps={[JSON.stringify(data.stats.by_day)]}
          />
        )}
        <Table caption="By day" rows={data.stats.by_day} rowKey={(d) => d.day} empty="No payments." columns={[
          { label: "Day", render: (d) => d.day },
          { label: "Payments", render: (d) => d.payments },
          { label: "Succeeded volume", render: (d) => formatKobo(d.volume) },
          { label: "Success rate", render: (d) => percent(d.success_rate) },
        ]} />
        {data.stats.by_bank.length > 0 && (
          <Chart
            label={`Payments by bank, ${data.stats.by_bank.length} banks: the table "By bank" below has the numbers`}
            make={(U, width) => categoryBars(U, width, data.stats.by_bank.map((b) => b.bank ?? "—"), data.stats.by_bank.map((b) => b.payments), "Payments", (v) => (Number.isInteger(v) ? String(v) : ""))}
            deps={[JSON.stringify(data.stats.by_bank)]}
          />
        )}
        <Table caption="By bank" rows={data.stats.by_bank} rowKey={(d) => d.bank ?? "none"} empty="No payments." columns={[
          { label: "Bank", render: (d) => d.bank ?? "—" },
          { label: "Payments", render: (d) => d.payments },
          { label: "Success rate", render: (d) => percent(d.success_rate) },
        ]} />
        {data.stats.failures.length > 0 && (
          <Chart
            label={`Failed payments by reason, ${data.stats.failures.length} reasons: the table "Why payments failed" below has the numbers`}
            make={(U, width) => categoryBars(U, width, data.stats.failures.map((f) => f.code), data.stats.failures.map((f) => f.count), "Failed payments", (v) => (Number.isInteger(v) ? String(v) : ""))}
            deps={[JSON.stringify(data.stats.failures)]}
          />
        )}
        <Table caption="Why payments failed" rows={data.stats.failures} rowKey={(f) => f.code} empty="No failures." columns={[
          { label: "Reason", render: (f) => `${f.code}${f.message ? `: ${f.message}` : ""}` },
          { label: "Payments", render: (f) => f.count },
        ]} />
      </section>
      <section class="card">
        <h2>Payouts</h2>
        <Table caption="Payouts" rows={data.payouts} rowKey={(p) => p._id} empty="No payouts yet." columns={[
          { label: "Amount", render: (p) => formatKobo(p.amount) },
          { label: "Status", render: (p) => p.status },
          { label: "To", render: (p) => p.nuban_to_credit.nuban },
          { label: "Created", render: (p) => shortDate(p.created_at) },
        ]} />
      </section>
      <section class="card">
        <h2>Ledger</h2>
        <Table caption="Ledger entries" rows={data.entries} rowKey={(e) => e.id} empty="No entries yet." columns={[
          { label: "Entry", render: (e) => e.kind.replace(/_/g, " ") },
          { label: "Postings", render: (e) => e.postings.map((x) => `${x.direction} ${x.account} ${formatKobo(x.amount)}`).join("; ") },
          { label: "At", render: (e) => shortDate(e.created_at) },
        ]} />
      </section>
    </>
  );
}

export const moneyPages: PageDef[] = [{ path: "/money", title: "Money", component: MoneyPage, nav: { section: "Money", label: "Balances and payouts", order: 10 } }];
