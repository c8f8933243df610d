import { sql } from "kysely";
import type { Executor } from "../core/db.js";
import type { AccessRequestState } from "../db/schema.js";
import { OkroError } from "../core/errors.js";
import { appendHistory, defineMachine, machineStore, transition, STATE_TRANSITIONS } from "../core/machine.js";
import { newId } from "../lib/ids.js";
import { hasProductionAccess } from "../platform/payment-access.js";
import { audit, type AuditActor } from "./audit.js";

export { hasProductionAccess };

/**
 * Production payment access. Sandbox payments work from signup; production payments need the
 * platform operator's approval. A company asks with its business details (`pending`); an
 * operator approves or declines it (the dashboard's operator page or `okro admin access`); the
 * company is told by mail. A declined company may ask again (a new request). One open request
 * per company (a unique partial index decides races).
 */

export const accessRequestMachine = defineMachine({
  object: "payment_access_request",
  states: ["pending", "approved", "declined"] as const satisfies readonly AccessRequestState[],
  edges: { pending: ["approved", "declined"], approved: [], declined: [] },
  terminal: ["approved", "declined"],
});

type Row = { id: string; company_id: string; state: AccessRequestState };

const store = machineStore<AccessRequestState, Row, null, Executor>({
  machine: accessRequestMachine,
  table: "payment_access_requests",
  stateColumn: "state",
  history: STATE_TRANSITIONS,
});

export interface BusinessDetails {
  legal_name: string;
  registration_number: string;
  address: string;
  website?: string | undefined;
  contact_phone: string;
  description: string;
}

export interface AccessRequestView {
  id: string;
  company_id: string;
  company_name?: string;
  state: AccessRequestState;
  business: BusinessDetails;
  created_at: string;
  decided_at: string | null;
  decided_by: string | null;
  decision_note: string | null;
}

type DbRow = {
  id: string;
  company_id: string;
  state: AccessRequestState;
  business: Record<string, unknown>;
  created_at: Date;
  decided_at: Date | null;
  decided_by: string | null;
  decision_note: string | null;
};

const view = (r: DbRow & { company_name?: string }): AccessRequestView => ({
  id: r.id,
  company_id: r.company_id,
  ...(r.company_name !== undefined ? { company_name: r.company_name } : {}),
  state: r.state,
  business: r.business as unknown as BusinessDetails,
  created_at: r.created_at.toISOString(),
  decided_at: r.decided_at?.toISOString() ?? null,
  decided_by: r.decided_by,
  decision_note: r.decision_note,
});

/** The company's access: approved or not, and its latest request. */
export async function accessStatus(db: Executor, companyId: string): Promise<{ production_enabled: boolean; latest_request: AccessRequestView | null }> {
  const latest = await db.selectFrom("payment_access_requests").selectAll().where("company_id", "=", companyId).orderBy("created_at", "desc").orderBy("id", "desc").limit(1).executeTakeFirst();
  return { production_enabled: await hasProductionAccess(db, companyId), latest_request: latest ? view(latest) : null };
}

const UNIQUE_VIOLATION = "23505";

export async function requestAccess(trx: Executor, actor: AuditActor & { userId: string }, companyId: string, business: BusinessDetails, now: Date): Promise<AccessRequestView> {
  if (await hasProductionAccess(trx, companyId)) throw new OkroError("CONFLICT", "Production payments are already enabled for your company");
  const row: DbRow = { id: newId(now), company_id: companyId, state: "pending", business: { ...business }, created_at: now, decided_at: null, decided_by: null, decision_note: null };
  try {
    // A savepoint, so a lost race on the one-open-request index leaves the caller's transaction usable.
    await sql`SAVEPOINT access_request`.execute(trx);
    await trx
      .insertInto("payment_access_requests")
      .values({ ...row, business: JSON.stringify(business), requested_by: actor.userId })
      .execute();
    await sql`RELEASE SAVEPOINT access_request`.execute(trx);
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    await sql`ROLLBACK TO SAVEPOINT access_request`.execute(trx);
    throw new OkroError("CONFLICT", "Your company already has a request waiting for the operator's decision");
  }
  await appendHistory(trx, store, { object: accessRequestMachine.object, id: row.id, from: null, to: "pending", actor: "api", reason: "requested", detail: { by: actor.label }, at: now });
  await audit(trx, actor, { companyId, env: "production", action: "payment_access.requested", objectType: "payment_access_request", objectId: row.id, detail: { legal_name: business.legal_name } }, now);
  return view(row);
}

/** Open requests first (oldest first), then the latest decided ones: what the operator works through. */
export async function listAccessRequests(db: Executor, options: { state?: AccessRequestState | undefined; limit: number }): Promise<AccessRequestView[]> {
  let q = db.selectFrom("payment_access_requests").innerJoin("companies", "companies.id", "payment_access_requests.company_id").selectAll("payment_access_requests").select("companies.name as company_name");
  if (options.state) q = q.where("payment_access_requests.state", "=", options.state);
  const rows = await q
    .orderBy(sql`payment_access_requests.state = 'pending'`, "desc")
    .orderBy("payment_access_requests.created_at", options.state === "pending" ? "asc" : "desc")
    .limit(options.limit)
    .execute();
  return rows.map(view);
}

/** An operator's decision. A request already decided is a 409 naming its state; the losing racer gets the same. */
export async function decideAccess(
  trx: Executor,
  operator: string,
  input: { id: string; decision: "approve" | "decline"; note?: string | undefined },
  now: Date,
): Promise<AccessRequestView> {
  const current = await trx.selectFrom("payment_access_requests").selectAll().where("id", "=", input.id).executeTakeFirst();
  if (!current) throw new OkroError("NOT_FOUND", "id: no payment access request with this id", { field: "id" });
  const to = input.decision === "approve" ? "approved" : "declined";
  if (current.state !== "pending") throw new OkroError("CONFLICT", `id: this request was already ${current.state}`, { field: "id" });
  const moved = await transition(trx, store, null, {
    id: input.id,
    from: "pending",
    to,
    set: { decided_at: now, decided_by: operator, decision_note: input.note ?? null },
    actor: "api",
    reason: `operator_${input.decision}`,
    detail: { operator },
    at: now,
  });
  if (!moved.ok) throw new OkroError("CONFLICT", "id: this request was decided by someone else just now", { field: "id" });
  await audit(
    trx,
    { userId: null, label: `operator:${operator}` },
    { companyId: current.company_id, env: "production", action: `payment_access.${to}`, objectType: "payment_access_request", objectId: input.id, detail: input.note ? { note: input.note } : {} },
    now,
  );
  const after = await trx.selectFrom("payment_access_requests").innerJoin("companies", "companies.id", "payment_access_requests.company_id").selectAll("payment_access_requests").select("companies.name as company_name").where("payment_access_requests.id", "=", input.id).executeTakeFirstOrThrow();
  return view(after);
}

/** Whom to tell about a decision: the company's owners and admins. */
export async function companyAdmins(db: Executor, companyId: string): Promise<string[]> {
  const rows = await db.selectFrom("users").select("email").where("company_id", "=", companyId).where("role", "in", ["owner", "admin"]).execute();
  return rows.map((r) => r.email);
}
