import { useEffect, useState } from "preact/hooks";
import { formatKobo, get, post, query, shortDate } from "../api.js";
import { ConfirmButton, Loading, Notice, PageHeader, Table, useLoad } from "../components.js";
import { href, type PageDef, type PageProps } from "../registry.js";
import { roleAtLeast, useSession } from "../session.js";
import { StatusBadge } from "./payments.js";

/**
 * Bulk uploads (issue 16 item 3): upload a CSV (validated first: totals, row errors and the errors
 * CSV), commit it behind a confirmation (optionally all-or-nothing), the batch list, and a batch's
 * page with its live counts, cancel, retry of the failed rows and the results CSV.
 */

interface BatchView {
  id: string;
  status: string;
  file_name: string | null;
  all_or_nothing: boolean;
  totals: { rows: number; valid_rows: number; invalid_rows: number; amount: number };
  counts: { pending: number; queued: number; processing: number; succeeded: number; failed: number; cancelled: number; reversed: number; succeeded_amount: number };
  warnings: Array<{ code?: string; message: string }>;
  errors: Array<{ row: number; column: string; code: string; message: string }>;
  error_count: number;
  created_at: string;
}

const csvUrl = (id: string, kind: "errors" | "results", env: string) => `/dashboard/api/batches/${id}/${kind}.csv${query({ env })}`;

function Report({ batch }: { batch: BatchView }) {
  const { env } = useSession();
  return (
    <>
      <dl class="facts">
        <dt>Rows</dt>
        <dd>{batch.totals.rows}</dd>
        <dt>Valid</dt>
        <dd>{batch.totals.valid_rows}</dd>
        <dt>With errors</dt>
        <dd>{batch.totals.invalid_rows}</dd>
        <dt>Total amount</dt>
        <dd>{formatKobo(batch.totals.amount)}</dd>
      </dl>
      {batch.warnings.map((w) => (
        <Notice kind="warning" key={w.message}>
          {w.message}
        </Notice>
      ))}
      {batch.error_count > 0 && (
        <>
          <Table caption="Row errors" rows={batch.errors} rowKey={(e) => `${e.row}-${e.column}-${e.code}`} empty="" columns={[
            { label: "Row", render: (e) => String(e.row) },
            { label: "Column", render: (e) => e.column },
            { label: "Problem", render: (e) => e.message },
          ]} />
          <p>
            <a class="button" href={csvUrl(batch.id, "errors", env)} download>
              Download the rows with errors (CSV)
            </a>
          </p>
        </>
      )}
    </>
  );
}

function BulkPage({ query: q }: PageProps) {
  const { env, me } = useSession();
  const canCommit = roleAtLeast(me.user.role, "admin");
  const [list, listError, reload] = useLoad(() => get<{ batches: BatchView[] }>(`/batches${query({ env, page: q.page, limit: 25 })}`).then((r) => r.data.batches), [env, q.page]);
  const [file, setFile] = useState<File | null>(null);
  const [validated, setValidated] = useState<BatchView | null>(null);
  const [allOrNothing, setAllOrNothing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const validate = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    if (!file) return setError("Choose a CSV file first.");
    setBusy(true);
    try {
      const text = await file.text();
      const res = await post<{ batch: BatchView }>("/batches/validate", { env, file: text, file_name: file.name, all_or_nothing: allOrNothing });
      setValidated(res.data.batch);
      reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const commit = async () => {
    const b = validated!;
    await post("/batches/commit", { env, id: b.id, all_or_nothing: allOrNothing, confirm: true });
    setValidated(null);
    setDone(`Batch committed: ${b.totals.valid_rows} payments are being made.`);
    reload();
  };
  return (
    <>
      <PageHeader title="Bulk uploads" />
      <form class="card" onSubmit={validate} aria-label="Upload a bulk file">
        <h2>Upload a CSV</h2>
        <p class="hint">Columns: account_to_debit and amount (kobo) required; reference, narration, currency, account_to_credit optional. Nothing moves until you commit.</p>
        <div class="field">
          <label for="bulk-file">CSV file</label>
          <input id="bulk-file" type="file" accept=".csv,text/csv" onChange={(e) => setFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null)} />
        </div>
        <div class="field">
          <label>
            <input type="checkbox" checked={allOrNothing} onChange={(e) => setAllOrNothing((e.currentTarget as HTMLInputElement).checked)} /> All or nothing: refuse the whole file if any row has an error
          </label>
        </div>
        {error && <Notice kind="error">{error}</Notice>}
        <button type="submit" disabled={busy}>
          {busy ? "Checking…" : "Check file"}
        </button>
      </form>
      {done && <Notice kind="success">{done}</Notice>}
      {validated && (
        <section class="card" aria-live="polite">
          <h2>Checked: {validated.file_name ?? "upload"}</h2>
          <Report batch={validated} />
          {canCommit ? (
            validated.totals.valid_rows > 0 && (
              <ConfirmButton
                label="Commit"
                question={`Debit ${formatKobo(validated.totals.amount)} across ${validated.totals.valid_rows} payments${validated.totals.invalid_rows ? ` (the ${validated.totals.invalid_rows} rows with errors are skipped)` : ""}?`}
                confirmLabel="Yes, commit"
                onConfirm={commit}
              />
            )
          ) : (
            <p class="hint">Your role can check files but not commit them; ask an admin.</p>
          )}
        </section>
      )}
      <section class="card">
        <h2>Batches</h2>
        {listError && <Notice kind="error">{listError}</Notice>}
        {!list && !listError && <Loading />}
        {list && (
          <Table caption={`${env} batches`} rows={list} rowKey={(b) => b.id} empty="No uploads yet." columns={[
            { label: "File", render: (b) => <a href={href(`/bulk/${b.id}`)}>{b.file_name ?? b.id}</a> },
            { label: "Status", render: (b) => <StatusBadge status={b.status} /> },
            { label: "Rows", render: (b) => String(b.totals.rows) },
            { label: "Amount", render: (b) => formatKobo(b.totals.amount) },
            { label: "Created", render: (b) => shortDate(b.created_at) },
          ]} />
        )}
      </section>
    </>
  );
}

function BatchPage({ params }: PageProps) {
  const { env, me } = useSession();
  const [batch, error, reload] = useLoad(() => get<{ batch: BatchView }>(`/batches/${params.id}${query({ env })}`).then((r) => r.data.batch), [env, params.id]);
  const [done, setDone] = useState<string | null>(null);
  const live = batch !== null && batch.status === "running";
  // Live counts: while rows are still moving, read the batch again every few seconds.
  useEffect(() => {
    if (!live) return;
    const t = setInterval(reload, 3000);
    return () => clearInterval(t);
  }, [live]);
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!batch) return <Loading />;
  const canAct = roleAtLeast(me.user.role, "admin");
  const act = (path: string, message: (r: { batch: BatchView }) => string) => async () => {
    const res = await post<{ batch: BatchView }>(path, { env, id: batch.id, confirm: true });
    setDone(message(res.data));
    reload();
  };
  const c = batch.counts;
  return (
    <>
      <PageHeader title={`Batch ${batch.file_name ?? batch.id}`}>
        <a class="button" href={csvUrl(batch.id, "results", env)} download>
          Results CSV
        </a>
      </PageHeader>
      {done && <Notice kind="success">{done}</Notice>}
      <section class="card">
        <p>
          <StatusBadge status={batch.status} />
          {live && <span class="hint"> (updating)</span>}
        </p>
        <dl class="facts" aria-live="polite">
          <dt>Succeeded</dt>
          <dd>
            {c.succeeded} ({formatKobo(c.succeeded_amount)})
          </dd>
          <dt>Failed</dt>
          <dd>{c.failed}</dd>
          <dt>In progress</dt>
          <dd>{c.pending + c.queued + c.processing}</dd>
          <dt>Cancelled</dt>
          <dd>{c.cancelled}</dd>
        </dl>
        {canAct && (
          <div class="actions">
            {batch.status === "ready" && batch.totals.valid_rows > 0 && (
              <ConfirmButton label="Commit" question={`Debit ${formatKobo(batch.totals.amount)} across ${batch.totals.valid_rows} payments?`} confirmLabel="Yes, commit" onConfirm={act("/batches/commit", () => "Batch committed.")} />
            )}
            {(batch.status === "ready" || live) && (
              <ConfirmButton label="Cancel batch" danger question="Cancel every row not yet sent to the bank? Rows already sent finish on their own." confirmLabel="Yes, cancel" onConfirm={act("/batches/cancel", () => "Batch cancelled.")} />
            )}
            {!live && batch.status !== "ready" && c.failed > 0 && (
              <ConfirmButton label="Retry failed rows" question={`Make a new batch of the ${c.failed} failed rows (checked again, ready to commit)?`} confirmLabel="Yes, make it" onConfirm={act("/batches/retry", (r) => `New batch ${r.batch.id} is ready to commit.`)} />
            )}
          </div>
        )}
      </section>
      <section class="card">
        <h2>Validation</h2>
        <Report batch={batch} />
      </section>
    </>
  );
}

export const bulkPages: PageDef[] = [
  { path: "/bulk", title: "Bulk uploads", component: BulkPage, nav: { section: "Payments", label: "Bulk uploads", order: 40 } },
  { path: "/bulk/:id", title: "Batch", component: BatchPage },
];
