import os from "node:os";
import type { AppContext } from "../context.js";
import { OkroError } from "../core/errors.js";
import { decideAccess, listAccessRequests } from "./access-requests.js";
import { tellCompany } from "./access-routes.js";

/**
 * `okro admin`: the platform operator's commands, on the same services as the operator page.
 *
 *   okro admin access list [--all]                      open requests (every request with --all)
 *   okro admin access approve <id> [--note TEXT]        enable production payments; the company is mailed
 *   okro admin access decline <id> [--note TEXT]        decline; the company is mailed the note
 *
 * `--operator NAME` names who decided (default: cli:<OS user>), kept on the request and in the
 * company's audit log.
 */
export const ADMIN_HELP = `Usage: okro admin access list [--all]
       okro admin access approve <request id> [--note TEXT] [--operator NAME]
       okro admin access decline <request id> [--note TEXT] [--operator NAME]`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}

export async function runAdmin(ctx: AppContext, argv: string[], out: { write(s: string): void }, err: { write(s: string): void }): Promise<number> {
  const [area, action, id] = argv;
  if (area !== "access" || !action) {
    err.write(`${ADMIN_HELP}\n`);
    return 2;
  }
  if (action === "list") {
    const requests = await listAccessRequests(ctx.db, { state: argv.includes("--all") ? undefined : "pending", limit: 500 });
    if (requests.length === 0) out.write("no requests\n");
    for (const r of requests) {
      out.write(`${r.id}  ${r.state.padEnd(8)}  ${r.created_at.slice(0, 16)}  ${r.company_name ?? r.company_id}  ${r.business.legal_name} (${r.business.registration_number})  ${r.business.contact_phone}\n`);
    }
    return 0;
  }
  if ((action === "approve" || action === "decline") && id) {
    const operator = option(argv, "--operator") ?? `cli:${os.userInfo().username}`;
    const note = option(argv, "--note");
    try {
      const request = await ctx.db.transaction().execute(async (trx) => {
        const decided = await decideAccess(trx, operator, { id, decision: action, note }, ctx.clock.now());
        const base = `${ctx.config.publicUrl ?? `http://localhost:${ctx.config.port}`}/dashboard`;
        await tellCompany(ctx, trx, decided, base, { info: (_o, msg) => out.write(`${msg}\n`), error: (_o, msg) => err.write(`${msg}\n`) });
        return decided;
      });
      out.write(`${request.id} ${request.state} (${request.company_name ?? request.company_id}); the company was told\n`);
      return 0;
    } catch (error) {
      if (error instanceof OkroError) {
        err.write(`${error.message}\n`);
        return 1;
      }
      throw error;
    }
  }
  err.write(`${ADMIN_HELP}\n`);
  return 2;
}
