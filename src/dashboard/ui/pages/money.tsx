import { formatKobo, get, post, query, shortDate } from "../api.js";
import { useState } from "preact/hooks";
import { ConfirmButton, Field, Loading, Notice, PageHeader, Table, useForm, useLoad } from "../components.js";
import type { PageDef } from "../registry.js";
import { roleAtLeast, useSession } from "../session.js";
import { nairaToKobo } from "./payments.js";

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

/** Daily volume as bars (an SVG the CSP allows; the table below carries the numbers for screen readers). */
function VolumeChart({ days }: { days: Stats["by_day"] }) {
  if (days.length === 0) return <p class="hint">No payments in the last 30 days.</p>;
  const max = Math.max(...days.map((d) => d.volume), 1);
  const w = 600;
  const h = 120;
  const bar = w / days.length;
  return (
    <svg class="chart" viewBox={`0 0 ${w} ${h}`} role="img" aria-label="Succeeded volume by day">
      {days.map((d, i) => {
        const bh = Math.max(1, Math.round((d.volume / max) * (h - 10)));
        return <rect key={d.day} x={i * bar + 1} y={h - bh} width={Math.max(1, bar - 2)} height={bh} class="bar"><title>{`${d.day}: ${formatKobo(d.volume)}, ${percent(d.success_rate)} succeeded`}</title></rect>;
      })}
    </svg>
  );
}

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
        <VolumeChart days={data.stats.by_day} />
        <Table caption="By day" rows={data.stats.by_day} rowKey={(d) => d.day} empty="No payments." columns={[
          { label: "Day", render: (d) => d.day },
          { label: "Payments", render: (d) => d.payments },
          { label: "Succeeded volume", render: (d) => formatKobo(d.volume) },
          { label: "Success rate", render: (d) => percent(d.success_rate) },
        ]} />
        <Table caption="By bank" rows={data.stats.by_bank} rowKey={(d) => d.bank ?? "none"} empty="No payments." columns={[
          { label: "Bank", render: (d) => d.bank ?? "—" },
          { label: "Payments", render: (d) => d.payments },
          { label: "Success rate", render: (d) => percent(d.success_rate) },
        ]} />
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
