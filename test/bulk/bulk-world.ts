import { Secret } from "../../src/banks/connector.js";
import { SANDBOX_PAYMENT_AUTH } from "../../src/banks/sandbox-logins.js";
import { BULK_JOBS } from "../../src/bulk/service.js";
import type { Config } from "../../src/config.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { ManualClock } from "../../src/lib/clock.js";
import { grantConsent } from "../../src/payments/consents.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import { bearer, createHarness, testConfig } from "../harness.js";
import { activeConsent, newCompany, TEST_BANK_TIMEOUT_MS, type Company, type World } from "../payments/engine-world.js";
import { GTBANK, linkSandboxCustomer } from "../security/route-registry.js";

/**
 * A world for bulk payments: a harness on a ManualClock with small bulk limits, and companies
 * with two debitable accounts at two banks (GTBank and another), both with active payment consent.
 */
export async function openBulkWorld(bulk: Partial<Config["bulk"]> = {}): Promise<World> {
  const clock = new ManualClock();
  const base = testConfig();
  const h = await createHarness({ clock, config: { payments: { ...base.payments, bankTimeoutMs: TEST_BANK_TIMEOUT_MS }, bulk: { ...base.bulk, ...bulk } } });
  return { h, clock };
}

export interface BulkCompany extends Company {
  /** GTBank account (index 0) and one at another bank (index 1). */
  accounts: { id: string; bankId: string }[];
  secret: string;
  run(): Promise<void>;
  jobs: JobRunner;
  /** The payments engine's jobs (execute, re-query, settle, consents), apart from the rows' so a test can run one without the other. */
  payments: JobRunner;
}

export async function bulkCompany(w: World): Promise<BulkCompany> {
  const c = await newCompany(w);
  await activeConsent(w, c);
  const otherBank = w.h.ctx.sandbox.banks().find((b) => b.bankId !== GTBANK && b.bankId !== c.receiving.bankId)!.bankId;
  const link = await linkSandboxCustomer(w.h, c.tenant, { bankId: otherBank });
  const second = link.linked.accounts.find((a) => a.connected)!;
  await c.faults({ mandateActivationDelayMs: 0 }, otherBank);
  await grantConsent(w.h.ctx, c.scope, { accountId: second.id, bankSession: link.session.token, authorization: { otp: new Secret(SANDBOX_PAYMENT_AUTH.otp) } });
  const payments = new JobRunner(w.h.ctx, PAYMENT_JOBS, { companyIds: [c.tenant.id], concurrency: 8 });
  const jobs = new JobRunner(w.h.ctx, [...BULK_JOBS], { companyIds: [c.tenant.id], concurrency: 8 });
  await payments.runOnce(); // activates the second consent
  await c.faults({}, otherBank);
  return {
    ...c,
    accounts: [
      { id: c.account.id, bankId: GTBANK },
      { id: second.id, bankId: otherBank },
    ],
    secret: c.tenant.sandbox.secret_key,
    jobs,
    payments,
    run: async () => {
      await jobs.runOnce();
      await payments.runOnce();
    },
  };
}

export const auth = (c: { secret: string }) => bearer(c.secret);

/** A CSV with Okra's five columns plus the given optional ones. */
export function csv(rows: Record<string, string | number>[], columns = ["account_to_debit", "account_to_credit", "amount", "currency", "callback_url"]): string {
  const cell = (v: string | number | undefined) => {
    const s = v === undefined ? "" : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.join(","), ...rows.map((r) => columns.map((c) => cell(r[c])).join(","))].join("\r\n") + "\r\n";
}

/** A multipart body as `curl -F file=@name.csv` builds it. */
export function multipartBody(files: { name: string; filename: string; content: string | Buffer; type?: string }[], fields: Record<string, string> = {}) {
  const boundary = `------------------------${Math.random().toString(16).slice(2, 18)}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  for (const f of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"; filename="${f.filename}"\r\nContent-Type: ${f.type ?? "text/csv"}\r\n\r\n`));
    parts.push(Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content));
    parts.push(Buffer.from("\r\n"));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
}
