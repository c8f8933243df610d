import { useState } from "preact/hooks";
import { get, post, shortDate } from "../api.js";
import { Field, FormError, Loading, Notice, PageHeader, SelectField, Submit, useForm, useLoad } from "../components.js";
import type { PageDef } from "../registry.js";
import { useSession } from "../session.js";

/** Sandbox tools (issue 16 §7): the clock, bank faults, test customers, a test webhook. Sandbox only. */

interface SandboxState {
  clock: { now: string; offset_ms: number };
  faults: Array<{ bank: string; bank_name: string; settings: Record<string, unknown> }>;
  banks: Array<{ id: string; name: string }>;
  endpoints: Array<{ id: string; url: string; enabled: boolean }>;
}

const HOUR = 3_600_000;

function SandboxPage() {
  useSession();
  const [state, error, reload] = useLoad(() => get<SandboxState>("/sandbox/state").then((r) => r.data), []);
  const [done, setDone] = useState<string | null>(null);
  const faults = useForm({ bank: "", errorRate: "", timeoutRate: "", down: "" });
  const customer = useForm({ bank: "", username: "", password: "", name: "" });
  const hook = useForm({ endpoint_id: "" });
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!state) return <Loading />;
  const bankOptions = [{ value: "", label: "Choose a bank" }, ...state.banks.map((b) => ({ value: b.id, label: b.name }))];
  const advance = (ms: number, label: string) => async () => {
    await post("/sandbox/clock/advance", { ms });
    setDone(`Sandbox clock advanced by ${label}.`);
    reload();
  };
  const rate = (v: string) => (v === "" ? undefined : Number(v) / 100);
  return (
    <>
      <PageHeader title="Sandbox tools" />
      {done && <Notice kind="success">{done}</Notice>}
      <section class="card">
        <h2>Clock</h2>
        <p>
          Sandbox time: <strong>{shortDate(state.clock.now)}</strong> UTC
        </p>
        <p class="actions">
          <button type="button" onClick={advance(HOUR, "1 hour")}>+1 hour</button>
          <button type="button" onClick={advance(24 * HOUR, "1 day")}>+1 day</button>
          <button type="button" onClick={advance(30 * 24 * HOUR, "30 days")}>+30 days</button>
        </p>
      </section>
      <form
        class="card"
        aria-label="Bank faults"
        onSubmit={faults.submit(async (v, key) => {
          const settings = Object.fromEntries(
            Object.entries({ errorRate: rate(v.errorRate), timeoutRate: rate(v.timeoutRate), down: v.down === "yes" ? true : undefined }).filter(([, x]) => x !== undefined),
          );
          await post("/sandbox/faults/set", { bank: v.bank, settings }, { key });
          setDone("Faults saved.");
          reload();
        })}
      >
        <h2>Bank faults</h2>
        <p>{state.faults.length === 0 ? "Every sandbox bank behaves." : state.faults.map((f) => `${f.bank_name}: ${JSON.stringify(f.settings)}`).join("; ")}</p>
        <SelectField form={faults} name="bank" label="Bank" options={bankOptions} />
        <Field form={faults} name="errorRate" label="Error rate (%)" inputMode="numeric" />
        <Field form={faults} name="timeoutRate" label="Timeout rate (%)" inputMode="numeric" />
        <SelectField form={faults} name="down" label="Down" options={[{ value: "", label: "No" }, { value: "yes", label: "Yes" }]} />
        <FormError form={faults} />
        <Submit form={faults}>Set faults</Submit>{" "}
        <button
          type="button"
          onClick={async () => {
            await post("/sandbox/faults/clear", {});
            setDone("Faults cleared.");
            reload();
          }}
        >
          Clear all faults
        </button>
      </form>
      <form
        class="card"
        aria-label="Test customer"
        onSubmit={customer.submit(async (v, key) => {
          await post("/sandbox/customers/create", { bank: v.bank, username: v.username, password: v.password, ...(v.name ? { name: v.name } : {}) }, { key });
          setDone(`Test customer ${v.username} created: log in with it in the sandbox widget.`);
          customer.reset();
        })}
      >
        <h2>Create a test customer</h2>
        <SelectField form={customer} name="bank" label="Bank" options={bankOptions} />
        <Field form={customer} name="username" label="Username" autoComplete="off" />
        <Field form={customer} name="password" label="Password" type="password" autoComplete="new-password" />
        <Field form={customer} name="name" label="Name (empty: made up)" />
        <FormError form={customer} />
        <Submit form={customer}>Create customer</Submit>
      </form>
      <form
        class="card"
        aria-label="Test webhook"
        onSubmit={hook.submit(async (v, key) => {
          await post("/sandbox/webhooks/test", { endpoint_id: v.endpoint_id }, { key });
          setDone("Test event queued: see it under the endpoint's deliveries.");
        })}
      >
        <h2>Send a test webhook</h2>
        {state.endpoints.length === 0 ? (
          <p class="hint">No sandbox webhook endpoint yet: add one under Developers.</p>
        ) : (
          <>
            <SelectField form={hook} name="endpoint_id" label="Endpoint" options={[{ value: "", label: "Choose an endpoint" }, ...state.endpoints.map((e) => ({ value: e.id, label: e.url }))]} />
            <FormError form={hook} />
            <Submit form={hook}>Send test event</Submit>
          </>
        )}
      </form>
    </>
  );
}

export const sandboxPages: PageDef[] = [{ path: "/sandbox", title: "Sandbox tools", component: SandboxPage, nav: { section: "Sandbox", label: "Sandbox tools", order: 10 } }];
