import fc from "fast-check";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contactOf, normaliseEmail, normalisePhone, storedEmail, storedPhone } from "../../src/data/contact.js";
import { recogniseCustomer } from "../../src/data/customers.js";
import { customerByContact } from "../../src/data/store.js";
import { newId } from "../../src/lib/ids.js";
import { createHarness, type Harness } from "../harness.js";

/**
 * One customer-recognition rule (issue 12): link.ts (matching a bank login to a customer) and the
 * widget (recognising a returning customer) decide "same email, same phone" by contact.ts, on the
 * given value and, in SQL, on the stored one.
 */

/** A Nigerian mobile subscriber number (10 digits after the 0 / 234). */
const subscriber = fc.tuple(fc.constantFrom("70", "80", "81", "90", "91"), fc.stringMatching(/^[0-9]{8}$/)).map(([a, b]) => a + b);
/** The ways people write that number. */
const written = (n: string) => [
  `0${n}`,
  `234${n}`,
  `+234${n}`,
  `+234 ${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`,
  `(+234) ${n.slice(0, 3)}-${n.slice(3, 6)}-${n.slice(6)}`,
  `0${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`,
];

describe("the contact rule (pure)", () => {
  it("every way of writing a Nigerian mobile number is one phone, in the national form", () => {
    fc.assert(
      fc.property(subscriber, (n) => {
        for (const form of written(n)) expect(normalisePhone(form)).toBe(`0${n}`);
      }),
    );
  });

  it("two different numbers never become one", () => {
    fc.assert(fc.property(subscriber, subscriber, (a, b) => a === b || normalisePhone(`+234${a}`) !== normalisePhone(`0${b}`)));
  });

  it("is idempotent: a stored value normalises to itself", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const p = normalisePhone(s);
        if (p !== null) expect(normalisePhone(p)).toBe(p);
        const e = normaliseEmail(s);
        if (e !== null) expect(normaliseEmail(e)).toBe(e);
      }),
    );
  });

  it("emails ignore case and surrounding spaces; a phone of fewer than 7 digits names nobody", () => {
    expect(contactOf({ emails: [" Owned@Example.COM ", "owned@example.com", "  "], phones: ["12-34", "+234 803 000 0000", "08030000000"] })).toEqual({
      emails: ["owned@example.com"],
      phones: ["08030000000"],
    });
  });
});

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

describe("the contact rule in SQL (stored values)", () => {
  const inSql = async (values: string[], rule: typeof storedPhone) => {
    const { rows } = await sql<{ n: string }>`SELECT ${rule(sql<string>`v`)} AS n FROM unnest(${values}::text[]) WITH ORDINALITY AS t(v, i) ORDER BY i`.execute(h.ctx.db);
    return rows.map((r) => r.n);
  };

  it("normalises a stored phone exactly as normalisePhone does", async () => {
    const samples = fc.sample(fc.oneof(subscriber.chain((n) => fc.constantFrom(...written(n))), fc.string(), fc.stringMatching(/^[0-9 +()-]{0,20}$/)), 300);
    const wanted = samples.map(normalisePhone);
    const got = await inSql(samples, storedPhone);
    samples.forEach((s, i) => {
      if (wanted[i] !== null) expect({ s, n: got[i] }).toEqual({ s, n: wanted[i] });
    });
  });

  it("normalises a stored email exactly as normaliseEmail does", async () => {
    const ascii = fc.stringMatching(/^[ \tA-Za-z0-9@._+-]{0,30}$/);
    const samples = fc.sample(ascii, 300);
    const got = await inSql(samples, storedEmail);
    samples.forEach((s, i) => {
      const wanted = normaliseEmail(s);
      if (wanted !== null) expect({ s, n: got[i] }).toEqual({ s, n: wanted });
    });
  });

  it("recognises a customer whose contact details were stored in another form, by link's lookup and the widget's alike", async () => {
    const t = await h.newTenant("Contact Co");
    const scope = { companyId: t.id, env: "sandbox" as const };
    const now = h.clock.now();
    const id = newId(now);
    await h.ctx.db
      .insertInto("customers")
      .values({ id, company_id: t.id, env: "sandbox", name: "Ada Obi", kind: "individual", bvn: null, emails: JSON.stringify([" Ada.Obi@Example.com"]), phones: JSON.stringify(["+234 803 111 2222"]), created_at: now, updated_at: now })
      .execute();
    for (const phone of ["08031112222", "2348031112222", "0803-111-2222"]) {
      expect((await recogniseCustomer(h.ctx.db, scope, { phone }))?.id).toBe(id);
      expect((await customerByContact(h.ctx.db, scope, [], contactOf({ phones: [phone] }).phones))?.id).toBe(id);
    }
    expect((await recogniseCustomer(h.ctx.db, scope, { email: "ADA.OBI@example.com" }))?.id).toBe(id);
    expect((await customerByContact(h.ctx.db, scope, contactOf({ emails: ["ada.obi@EXAMPLE.com "] }).emails, []))?.id).toBe(id);
    // Another number, another tenant, a too-short number: nobody.
    expect(await recogniseCustomer(h.ctx.db, scope, { phone: "08031112223" })).toBeUndefined();
    expect(await recogniseCustomer(h.ctx.db, { ...scope, env: "production" }, { phone: "08031112222" })).toBeUndefined();
    expect(await recogniseCustomer(h.ctx.db, scope, { phone: "2222" })).toBeUndefined();
  });
});
