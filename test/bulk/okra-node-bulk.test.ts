import { execFile } from "node:child_process";
import { writeFile, mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
// @ts-expect-error okra-node ships no type declarations
import { Payments } from "okra-node/src/okra-client.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { World } from "../payments/engine-world.js";
import { bulkCompany, csv, openBulkWorld, type BulkCompany } from "./bulk-world.js";

/**
 * Okra's `bulkfiles/initiate` as its clients really send it, against an Okro listening on
 * 127.0.0.1: okra-node 0.2.0 unmodified (`initBulkPayments({file, product})`, which axios sends as
 * JSON — the file's text, or a Buffer as `{type:"Buffer",data:[…]}`), and curl's `-F file=@…`.
 */
let w: World;
let base: string;
let dir: string;
beforeAll(async () => {
  w = await openBulkWorld();
  await w.h.app.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(w.h.app.server.address() as AddressInfo).port}`;
  dir = await mkdtemp(path.join(os.tmpdir(), "okro-bulk-test-"));
}, 60_000);
afterAll(async () => {
  await w?.h.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const file = (c: BulkCompany, amount: number) =>
  csv([
    { account_to_debit: c.accounts[0]!.id, account_to_credit: "", amount, currency: "NGN", callback_url: "" },
    { account_to_debit: c.accounts[1]!.id, account_to_credit: c.receivingAccountId, amount: amount + 1, currency: "NGN", callback_url: "" },
  ]);

function sdk(c: BulkCompany) {
  const client = new Payments(c.secret, "sandbox") as { apiBaseUrl: string; initBulkPayments(o: unknown): Promise<Record<string, unknown>> };
  client.apiBaseUrl = `${base}/v2/sandbox/`;
  return client;
}

describe("bulkfiles/initiate from Okra's clients", () => {
  it("okra-node initBulkPayments with the CSV's text, then with fs.readFileSync's Buffer", async () => {
    const c = await bulkCompany(w);
    const data = await sdk(c).initBulkPayments({ file: file(c, 1_000), product: "initiate_payment" });
    expect(data).toMatchObject({ product: "initiate_payment", status: "running", owner: c.tenant.id });
    expect((data.batch as { totals: unknown }).totals).toMatchObject({ rows: 2, valid_rows: 2, amount: 2_001 });

    const asBuffer = await sdk(c).initBulkPayments({ file: Buffer.from(file(c, 2_000)), product: "initiate_payment" });
    expect(asBuffer).toMatchObject({ status: "running" });
    // The same text again: a 409 naming the first batch, surfaced by okra-node as its error payload.
    const again = await sdk(c).initBulkPayments({ file: file(c, 1_000), product: "initiate_payment" }).catch((e: unknown) => e);
    expect(again).toMatchObject({ http_error_code: 409, error_payload: { status: "error", error: "CONFLICT" } });
    expect((again as { error_payload: { message: string } }).error_payload.message).toContain(`already uploaded as batch ${data._id}`);
  });

  it("curl -F file=@payments.csv -F product=initiate_payment", async () => {
    const c = await bulkCompany(w);
    const csvPath = path.join(dir, "payments.csv");
    await writeFile(csvPath, file(c, 3_000));
    const { stdout } = await promisify(execFile)("curl", ["-sS", "-X", "POST", `${base}/v2/bulkfiles/initiate`, "-H", `Authorization: Bearer ${c.secret}`, "-F", `file=@${csvPath}`, "-F", "product=initiate_payment"]);
    const body = JSON.parse(stdout);
    expect(body).toMatchObject({ status: "success", data: { name: "payments.csv", product: "initiate_payment", status: "running" } });
    expect(body.data.batch.totals).toMatchObject({ rows: 2, valid_rows: 2, amount: 6_001 });

    const results = await promisify(execFile)("curl", ["-sS", `${base}/v2/batches/results.csv?id=${body.data._id}`, "-H", `Authorization: Bearer ${c.secret}`]);
    expect(results.stdout.split(/\r?\n/)[0]).toBe("row,payment_id,status,reason,amount,currency,account_to_debit,reference,mandate");
  });

  it("form-encoded, as pyokra sends it", async () => {
    const c = await bulkCompany(w);
    const res = await w.h.request({
      method: "POST",
      url: "/v2/bulkfiles/initiate",
      headers: { authorization: `Bearer ${c.secret}`, "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({ file: file(c, 4_000), product: "initiate_payment" }).toString(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ status: "running", batch: { totals: { rows: 2, valid_rows: 2 } } });
  });
});
