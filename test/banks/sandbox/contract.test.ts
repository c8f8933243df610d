import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectorError, Secret, type BankAccount, type BankConnector, type BankSession, type CreditRequest, type DebitRequest } from "../../../src/banks/connector.js";
import { isValidNuban } from "../../../src/banks/nuban.js";
import { SANDBOX_BANKS } from "../../../src/banks/sandbox/profiles.js";
import type { CustomerInput, SandboxBankProfile } from "../../../src/banks/sandbox/types.js";
import {
  BANKS,
  DAY,
  FIXTURES,
  MAGIC,
  MINUTE,
  allTransactions,
  caught,
  firstAccount,
  isoDate,
  ledger,
  login,
  newWorld,
  profileOf,
  ref,
  signed,
  type NetworkFixture,
  type World,
} from "./fixtures.js";

/**
 * The bank connector contract, black-box, against the sandbox bank network run in-process and
 * over HTTP (a real socket: held connections, dropped responses). Every test works in a fresh
 * realm. Written from the integrator's side: src/banks/connector.ts and docs/sandbox-bank.md.
 */
describe.each(FIXTURES)("bank connector contract ($name)", ({ make }) => {
  let f: NetworkFixture;
  beforeAll(async () => {
    f = await make();
  });
  afterAll(async () => {
    await f?.close();
  });

  const world = (): World => newWorld(f);
  const secret = (s: string) => new Secret(s);
  const ib = (identifier: string, password: string = MAGIC.password) =>
    ({ credentials: { method: "internet_banking" as const, identifier, secret: secret(password) } });

  // -------------------------------------------------------------------------------------------
  describe("login", () => {
    it("okro_good logs straight in at every bank and every login method the bank offers", async () => {
      const w = world();
      for (const bankId of [BANKS.gtbank, BANKS.zenith, BANKS.kuda, BANKS.opay, BANKS.ecobank]) {
        for (const method of profileOf(bankId).loginMethods) {
          const result = await w.conn(bankId).startLogin({ credentials: { method, identifier: "okro_good", secret: secret(MAGIC.password) } });
          expect(result.status, `${bankId} ${method}`).toBe("connected");
          const now = await w.now();
          expect(Date.parse(result.session.expiresAt)).toBeGreaterThan(now.getTime());
          expect(result.session.token).toBeInstanceOf(Secret);
        }
      }
    });

    it("identifiers are case-insensitive", async () => {
      const w = world();
      const result = await w.conn(BANKS.gtbank).startLogin(ib("OKRO_Good"));
      expect(result.status).toBe("connected");
    });

    it("okro_otp meets the bank's one-time code (SMS OTP or hardware token) and 123456 answers it", async () => {
      const w = world();
      const seenKinds = new Set<string>();
      for (const bankId of [BANKS.gtbank, BANKS.zenith, BANKS.kuda, BANKS.ecobank]) {
        const profile = profileOf(bankId);
        const method = profile.loginMethods[0]!;
        const conn = w.conn(bankId);
        const first = await conn.startLogin({ credentials: { method, identifier: "okro_otp", secret: secret(MAGIC.password) } });
        expect(first.status, bankId).toBe("mfa_required");
        if (first.status !== "mfa_required") continue;
        expect(["sms_otp", "hardware_token"]).toContain(first.challenge.kind);
        if (profile.mfa === "sms_otp" || profile.mfa === "hardware_token") expect(first.challenge.kind, `${bankId} habit`).toBe(profile.mfa);
        seenKinds.add(first.challenge.kind);
        expect(first.challenge.prompt.length).toBeGreaterThan(0);
        expect(first.challenge.attemptsLeft).toBeGreaterThan(0);
        const answered = await conn.answerMfa({ session: first.session, answer: secret(MAGIC.otp) });
        expect(answered.status).toBe("connected");
        const accounts = await conn.listAccounts({ session: answered.session });
        expect(accounts.length).toBeGreaterThan(0);
      }
      // Token banks exist in the network, and okro_otp meets a token there.
      const tokenBank = SANDBOX_BANKS.find((b: SandboxBankProfile) => b.mfa === "hardware_token");
      if (tokenBank) {
        const r = await w.conn(tokenBank.bankId).startLogin({
          credentials: { method: tokenBank.loginMethods[0]!, identifier: "okro_otp", secret: secret(MAGIC.password) },
        });
        expect(r.status === "mfa_required" && r.challenge.kind).toBe("hardware_token");
      }
    });

    it("okro_question is asked a security question; 'okro' answers it", async () => {
      const w = world();
      for (const bankId of [BANKS.gtbank, BANKS.ecobank, BANKS.kuda]) {
        const conn = w.conn(bankId);
        const first = await conn.startLogin({
          credentials: { method: profileOf(bankId).loginMethods[0]!, identifier: "okro_question", secret: secret(MAGIC.password) },
        });
        expect(first.status, bankId).toBe("mfa_required");
        if (first.status !== "mfa_required") continue;
        expect(first.challenge.kind).toBe("security_question");
        expect(first.challenge.question?.length).toBeGreaterThan(3);
        const answered = await conn.answerMfa({ session: first.session, answer: secret(MAGIC.answer) });
        expect(answered.status).toBe("connected");
      }
    });

    it("okro_locked is locked whatever the password", async () => {
      const w = world();
      for (const [bankId, password] of [
        [BANKS.gtbank, MAGIC.password],
        [BANKS.zenith, "whatever"],
        [BANKS.opay, MAGIC.password],
      ] as const) {
        const err = await caught(
          w.conn(bankId).startLogin({ credentials: { method: profileOf(bankId).loginMethods[0]!, identifier: "okro_locked", secret: secret(password) } }),
        );
        expect(err, bankId).toMatchObject({ kind: "rejected", reason: "locked" });
      }
    });

    it("a wrong password is invalid_credentials with attempts left counting down; five in a row lock the login for 30 minutes", async () => {
      const w = world();
      const conn = w.conn(BANKS.zenith);
      const left: (number | undefined)[] = [];
      for (let i = 0; i < 4; i++) {
        const err = await caught(conn.startLogin(ib("okro_good", `wrong-${i}`)));
        expect(err).toMatchObject({ kind: "rejected", reason: "invalid_credentials" });
        left.push(err.attemptsLeft);
      }
      expect(left).toEqual([4, 3, 2, 1]);
      const fifth = await caught(conn.startLogin(ib("okro_good", "wrong-5")));
      expect(fifth.kind).toBe("rejected");
      expect(fifth.reason === "locked" || (fifth.reason === "invalid_credentials" && fifth.attemptsLeft === 0)).toBe(true);
      // Now even the right password is refused…
      expect(await caught(conn.startLogin(ib("okro_good")))).toMatchObject({ kind: "rejected", reason: "locked" });
      // …at this bank only, and only in this realm.
      expect((await w.conn(BANKS.gtbank).startLogin(ib("okro_good"))).status).toBe("connected");
      expect((await newWorld(f).conn(BANKS.zenith).startLogin(ib("okro_good"))).status).toBe("connected");
      // 30 sandbox minutes later the lock has lapsed.
      await w.advance(30 * MINUTE + 1000);
      expect((await conn.startLogin(ib("okro_good"))).status).toBe("connected");
    });

    it("a right password resets the count of wrong ones", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      for (let i = 0; i < 3; i++) await caught(conn.startLogin(ib("okro_good", "nope")));
      expect((await conn.startLogin(ib("okro_good"))).status).toBe("connected");
      const err = await caught(conn.startLogin(ib("okro_good", "nope")));
      expect(err).toMatchObject({ reason: "invalid_credentials", attemptsLeft: 4 });
    });

    it("a wrong OTP counts down; the fifth ends the session as locked", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const first = await conn.startLogin(ib("okro_otp"));
      if (first.status !== "mfa_required") throw new Error("expected MFA");
      expect(first.challenge.attemptsLeft).toBe(5);
      const left: (number | undefined)[] = [];
      for (let i = 0; i < 4; i++) {
        const err = await caught(conn.answerMfa({ session: first.session, answer: secret("000000") }));
        expect(err).toMatchObject({ kind: "rejected", reason: "invalid_otp" });
        left.push(err.attemptsLeft);
      }
      expect(left).toEqual([4, 3, 2, 1]);
      expect(await caught(conn.answerMfa({ session: first.session, answer: secret("000000") }))).toMatchObject({ kind: "rejected", reason: "locked" });
      // The session is dead: the right code no longer helps.
      const after = await caught(conn.answerMfa({ session: first.session, answer: secret(MAGIC.otp) }));
      expect(after.kind).toBe("rejected");
      expect(["locked", "session_expired"]).toContain(after.reason);
    });

    it("wrong MFA answers count per bank login, not per challenge: 12 over 3 logins lock it, right password or not", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const reasons: string[] = [];
      const offered: (number | undefined)[] = [];
      for (let login = 0; login < 3; login++) {
        const started = await conn.startLogin(ib("okro_otp")).catch((e: unknown) => e as ConnectorError);
        if (started instanceof ConnectorError) {
          reasons.push(started.reason ?? started.kind);
          continue;
        }
        if (started.status !== "mfa_required") throw new Error("expected MFA");
        offered.push(started.challenge.attemptsLeft);
        for (let i = 0; i < 4; i++) reasons.push((await caught(conn.answerMfa({ session: started.session, answer: secret("000000") }))).reason ?? "?");
      }
      // The second login is offered what is left of five, and its first wrong answer is the fifth.
      expect(offered).toEqual([5, 1]);
      expect(reasons.filter((r) => r === "invalid_otp")).toHaveLength(4);
      expect(reasons[4]).toBe("locked");
      // Locked for the window: a new login with the right password is refused…
      expect(await caught(conn.startLogin(ib("okro_otp")))).toMatchObject({ kind: "rejected", reason: "locked" });
      // …until 30 sandbox minutes have passed, and then five fresh tries.
      await w.advance(30 * MINUTE + 1000);
      const again = await conn.startLogin(ib("okro_otp"));
      if (again.status !== "mfa_required") throw new Error("expected MFA");
      expect(again.challenge.attemptsLeft).toBe(5);
      expect((await conn.answerMfa({ session: again.session, answer: secret(MAGIC.otp) })).status).toBe("connected");
    });

    it("parallel wrong guesses never get more than five checked: passwords, MFA answers across logins", async () => {
      const w = world();
      const conn = w.conn(BANKS.zenith);
      const guesses = await Promise.all(Array.from({ length: 12 }, (_, i) => caught(conn.startLogin(ib("okro_good", `wrong-${i}`)))));
      const checked = guesses.filter((e) => e.reason === "invalid_credentials");
      // Four told how many are left (each a different count), the fifth locked; the rest refused unchecked.
      expect(checked.map((e) => e.attemptsLeft).sort()).toEqual([1, 2, 3, 4]);
      expect(await caught(conn.startLogin(ib("okro_good")))).toMatchObject({ kind: "rejected", reason: "locked" });
      expect(guesses.every((e) => e.reason === "invalid_credentials" || e.reason === "locked")).toBe(true);

      const gt = w.conn(BANKS.gtbank);
      const logins = [await gt.startLogin(ib("okro_otp")), await gt.startLogin(ib("okro_otp"))];
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => caught(gt.answerMfa({ session: logins[i % 2]!.session, answer: secret("000000") }))),
      );
      expect(answers.filter((e) => e.reason === "invalid_otp").map((e) => e.attemptsLeft).sort()).toEqual([1, 2, 3, 4]);
      expect(answers.every((e) => e.reason === "invalid_otp" || e.reason === "locked")).toBe(true);
    });

    it("a challenge expires after 5 sandbox minutes (mfa_expired)", async () => {
      const w = world();
      const conn = w.conn(BANKS.ecobank);
      const now = await w.now();
      const first = await conn.startLogin(ib("okro_question"));
      if (first.status !== "mfa_required") throw new Error("expected MFA");
      expect(Date.parse(first.challenge.expiresAt) - now.getTime()).toBeGreaterThanOrEqual(5 * MINUTE - 1000);
      expect(Date.parse(first.challenge.expiresAt) - now.getTime()).toBeLessThanOrEqual(5 * MINUTE + 1000);
      await w.advance(5 * MINUTE + 1000);
      expect(await caught(conn.answerMfa({ session: first.session, answer: secret(MAGIC.answer) }))).toMatchObject({
        kind: "rejected",
        reason: "mfa_expired",
      });
    });

    it("a login method the bank does not offer is not_supported", async () => {
      const w = world();
      for (const bankId of [BANKS.kuda, BANKS.opay, BANKS.zenith]) {
        const offered = profileOf(bankId).loginMethods;
        const missing = (["internet_banking", "mobile_banking", "account_number"] as const).find((m) => !offered.includes(m));
        if (!missing) continue;
        const err = await caught(w.conn(bankId).startLogin({ credentials: { method: missing, identifier: "okro_good", secret: secret(MAGIC.password) } }));
        expect(err.kind, `${bankId} ${missing}`).toBe("not_supported");
      }
    });

    it("okro_corp logs in as a corporate customer at a bank with corporate banking", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const { session, challenges } = await login(conn, "okro_corp");
      const profile = profileOf(BANKS.gtbank);
      if (challenges.length > 0) expect(challenges[0]).toBe(profile.corporateMfa);
      const identity = await conn.getIdentity({ session });
      expect(identity.kind).toBe("corporate");
      expect(identity.bvn).toBeUndefined();
      expect(identity.rcNumber).toMatch(/\S/);
      const accounts = await conn.listAccounts({ session });
      expect(accounts.length).toBeGreaterThan(0);
      expect(accounts[0]!.type).toBe("corporate");
      for (const a of accounts) expect(["corporate", "current", "domiciliary"]).toContain(a.type);
      // Kuda has no corporate banking: no such customer there.
      expect(profileOf(BANKS.kuda).corporate).toBe(false);
      const kuda = await caught(
        w.conn(BANKS.kuda).startLogin({ credentials: { method: "mobile_banking", identifier: "okro_corp", secret: secret(MAGIC.password) } }),
      );
      expect(kuda).toMatchObject({ kind: "rejected", reason: "invalid_credentials" });
    });

    it("sessions expire after 30 sandbox minutes (session_expired)", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const now = await w.now();
      const { session } = await login(conn, "okro_good");
      const ttl = Date.parse(session.expiresAt) - now.getTime();
      expect(ttl).toBeGreaterThanOrEqual(30 * MINUTE - 1000);
      expect(ttl).toBeLessThanOrEqual(30 * MINUTE + 1000);
      const account = await firstAccount(conn, session);
      await w.advance(30 * MINUTE + 1000);
      expect(await caught(conn.listAccounts({ session }))).toMatchObject({ kind: "rejected", reason: "session_expired" });
      expect(await caught(conn.getBalance({ session, accountId: account.id }))).toMatchObject({ kind: "rejected", reason: "session_expired" });
      expect(await caught(conn.getIdentity({ session }))).toMatchObject({ kind: "rejected", reason: "session_expired" });
    });

    it("a forged session token is refused", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const now = await w.now();
      for (const token of ["forged", "a".repeat(64), ""]) {
        const err = await caught(conn.listAccounts({ session: { token: secret(token), expiresAt: new Date(now.getTime() + DAY).toISOString() } }));
        expect(err.kind, token).toBe("rejected");
        expect(["session_expired", "invalid_request"], token).toContain(err.reason);
      }
    });

    it("a session is only good at the bank that issued it", async () => {
      const w = world();
      const { session } = await login(w.conn(BANKS.gtbank), "okro_good");
      const err = await caught(w.conn(BANKS.zenith).listAccounts({ session }));
      expect(err.kind).toBe("rejected");
      expect(["session_expired", "invalid_request", "not_found"]).toContain(err.reason);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe("accounts and identity", () => {
    it("NUBANs pass the CBN check for the bank's code; accounts are well-formed", async () => {
      const w = world();
      for (const bankId of [BANKS.gtbank, BANKS.zenith, BANKS.kuda, BANKS.opay, BANKS.ecobank]) {
        const conn = w.conn(bankId);
        const { session } = await login(conn, "okro_good");
        const accounts = await conn.listAccounts({ session });
        expect(accounts.length, bankId).toBeGreaterThanOrEqual(1);
        expect(accounts.length, bankId).toBeLessThanOrEqual(3);
        for (const a of accounts) {
          expect(a.nuban).toMatch(/^\d{10}$/);
          expect(isValidNuban(profileOf(bankId).cbnCode, a.nuban), `${bankId} ${a.nuban}`).toBe(true);
          expect(a.id).toBeTruthy();
          expect(a.currency).toBe("NGN");
          expect(["savings", "current", "domiciliary", "corporate"]).toContain(a.type);
          expect(a.name).toMatch(/\S/);
          expect(Number.isNaN(Date.parse(a.openedAt))).toBe(false);
        }
        expect(new Set(accounts.map((a) => a.nuban)).size).toBe(accounts.length);
      }
    });

    it("okro_good is one person across banks: same BVN and name, different accounts", async () => {
      const w = world();
      const gt = w.conn(BANKS.gtbank);
      const ze = w.conn(BANKS.zenith);
      const { session: s1 } = await login(gt, "okro_good");
      const { session: s2 } = await login(ze, "okro_good");
      const [i1, i2] = [await gt.getIdentity({ session: s1 }), await ze.getIdentity({ session: s2 })];
      expect(i1.bvn).toMatch(/^\d{11}$/);
      expect(i2.bvn).toBe(i1.bvn);
      expect(i2.fullName).toBe(i1.fullName);
      const a1 = (await gt.listAccounts({ session: s1 })).map((a) => a.nuban);
      const a2 = (await ze.listAccounts({ session: s2 })).map((a) => a.nuban);
      expect(a1.filter((n) => a2.includes(n))).toEqual([]);
      // Another magic person is someone else.
      const { session: s3 } = await login(gt, "okro_question");
      expect((await gt.getIdentity({ session: s3 })).bvn).not.toBe(i1.bvn);
    });

    it("a magic individual has a full identity", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const { session } = await login(conn, "okro_good");
      const id = await conn.getIdentity({ session });
      expect(id.kind).toBe("individual");
      expect(id.fullName).toMatch(/\S+ \S+/);
      expect(id.firstName).toMatch(/\S/);
      expect(id.lastName).toMatch(/\S/);
      expect(id.fullName).toContain(id.firstName!);
      expect(id.fullName).toContain(id.lastName!);
      expect(id.bvn).toMatch(/^\d{11}$/);
      expect(id.dateOfBirth).toMatch(/^\d{4}-\d{2}-\d{2}/);
      expect(["male", "female"]).toContain(id.gender);
      expect(id.phones.length).toBeGreaterThan(0);
      for (const p of id.phones) expect(p).toMatch(/^\+?\d{10,14}$/);
      expect(id.emails.length).toBeGreaterThan(0);
      for (const e of id.emails) expect(e).toMatch(/^[^@\s]+@[^@\s]+\.[^@\s]+$/);
      expect(id.address).toMatchObject({ street: expect.stringMatching(/\S/), city: expect.stringMatching(/\S/), state: expect.stringMatching(/\S/) });
    });

    it("a session cannot read another customer's account (unknown_account)", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const { session: good } = await login(conn, "okro_good");
      const { session: other } = await login(conn, "okro_question");
      const theirs = await firstAccount(conn, other);
      expect(await caught(conn.getBalance({ session: good, accountId: theirs.id }))).toMatchObject({ kind: "rejected", reason: "unknown_account" });
      const now = await w.now();
      expect(
        await caught(conn.listTransactions({ session: good, accountId: theirs.id, from: isoDate(new Date(now.getTime() - 30 * DAY)), to: now.toISOString() })),
      ).toMatchObject({ kind: "rejected", reason: "unknown_account" });
      // Above all, it cannot pay out of it.
      const before = await ledger(conn, other, theirs.id);
      const err = await caught(
        conn.debit({ session: good, accountId: theirs.id, amount: 1_000, currency: "NGN", reference: ref("steal"), narration: "x", authorization: { otp: secret(MAGIC.otp) } }),
      );
      expect(err).toMatchObject({ kind: "rejected", reason: "unknown_account" });
      expect(
        await caught(
          conn.createMandate({
            session: good,
            accountId: theirs.id,
            reference: ref("steal"),
            maxAmount: 1_000,
            currency: "NGN",
            startDate: isoDate(now),
            narration: "x",
            authorization: { otp: secret(MAGIC.otp) },
          }),
        ),
      ).toMatchObject({ kind: "rejected", reason: "unknown_account" });
      expect(await ledger(conn, other, theirs.id)).toBe(before);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe("transactions", () => {
    it("pages newest first within [from, to], every line exactly once, balances adding up to the ledger", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const { session } = await login(conn, "okro_good");
      const account = await firstAccount(conn, session);
      const now = await w.now();
      const from = isoDate(new Date(now.getTime() - 800 * DAY));
      const to = now.toISOString();

      const { lines: all } = await allTransactions(conn, session, account.id, from, to, 500);
      expect(all.length).toBeGreaterThan(50);
      // Small pages give the same lines, each exactly once, and end with hasMore false.
      const { lines: paged, pages } = await allTransactions(conn, session, account.id, from, to, 37);
      expect(pages).toBe(Math.ceil(all.length / 37));
      expect(paged.map((t) => t.id)).toEqual(all.map((t) => t.id));
      expect(new Set(paged.map((t) => t.id)).size).toBe(paged.length);

      // Newest first.
      for (let i = 1; i < all.length; i++) expect(Date.parse(all[i - 1]!.postedAt)).toBeGreaterThanOrEqual(Date.parse(all[i]!.postedAt));
      // Within [from, to], well-formed.
      for (const t of all) {
        expect(Date.parse(t.postedAt)).toBeGreaterThanOrEqual(Date.parse(from));
        expect(Date.parse(t.postedAt)).toBeLessThanOrEqual(Date.parse(to));
        expect(Number.isSafeInteger(t.amount) && t.amount > 0).toBe(true);
        expect(Number.isSafeInteger(t.balance)).toBe(true);
        expect(t.currency).toBe("NGN");
        expect(["credit", "debit"]).toContain(t.type);
      }
      // Running balances add up, oldest to newest, and end at the ledger balance.
      const asc = [...all].reverse();
      for (let i = 1; i < asc.length; i++) {
        expect(asc[i]!.balance, `line ${asc[i]!.id}`).toBe(asc[i - 1]!.balance + signed(asc[i]!));
      }
      const balance = await conn.getBalance({ session, accountId: account.id });
      expect(balance.accountId).toBe(account.id);
      expect(balance.currency).toBe("NGN");
      expect(all[0]!.balance).toBe(balance.ledger);
      expect(balance.available).toBeLessThanOrEqual(balance.ledger);

      // 12–24 months of history.
      const oldest = Date.parse(asc[0]!.postedAt);
      const months = (now.getTime() - oldest) / (30.44 * DAY);
      expect(months).toBeGreaterThanOrEqual(11.5);
      expect(months).toBeLessThanOrEqual(25);
      expect(oldest).toBeGreaterThanOrEqual(Date.parse(account.openedAt));
    });

    it("a narrower window returns exactly the lines inside it", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const { session } = await login(conn, "okro_good");
      const account = await firstAccount(conn, session);
      const now = await w.now();
      const { lines: all } = await allTransactions(conn, session, account.id, isoDate(new Date(now.getTime() - 800 * DAY)), now.toISOString());
      const from = new Date(now.getTime() - 90 * DAY).toISOString();
      const to = new Date(now.getTime() - 30 * DAY).toISOString();
      const { lines } = await allTransactions(conn, session, account.id, from, to, 10);
      const expected = all.filter((t) => t.postedAt >= from && t.postedAt <= to);
      expect(lines.map((t) => t.id)).toEqual(expected.map((t) => t.id));
      expect(lines.length).toBeGreaterThan(0);
    });

    it("okro_good is paid a salary every month", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const { session } = await login(conn, "okro_good");
      const now = await w.now();
      const salaries = [];
      for (const a of await conn.listAccounts({ session })) {
        const { lines } = await allTransactions(conn, session, a.id, isoDate(new Date(now.getTime() - 365 * DAY)), now.toISOString());
        salaries.push(...lines.filter((t) => t.category === "salary"));
      }
      expect(salaries.length).toBeGreaterThanOrEqual(10);
      for (const s of salaries) expect(s.type).toBe("credit");
      const months = new Set(salaries.map((s) => s.postedAt.slice(0, 7)));
      expect(months.size).toBeGreaterThanOrEqual(10);
    });

    it("history keeps growing with sandbox time, around the payments made, and still adds up", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const { session } = await login(conn, "okro_good");
      const account = await firstAccount(conn, session);
      const reference = ref("grow");
      await conn.debit({ session, accountId: account.id, amount: 25_000, currency: "NGN", reference, narration: "x", authorization: { otp: secret(MAGIC.otp) } });
      const t0 = await w.now();
      await w.advance(40 * DAY);
      const { session: s2 } = await login(conn, "okro_good");
      const now = await w.now();
      const { lines } = await allTransactions(conn, s2, account.id, isoDate(new Date(now.getTime() - 800 * DAY)), now.toISOString());
      const asc = [...lines].reverse();
      for (let i = 1; i < asc.length; i++) expect(asc[i]!.balance, `line ${asc[i]!.id}`).toBe(asc[i - 1]!.balance + signed(asc[i]!));
      expect(lines[0]!.balance).toBe(await ledger(conn, s2, account.id));
      expect(lines.filter((t) => t.reference === reference)).toHaveLength(1);
      const later = lines.filter((t) => Date.parse(t.postedAt) > t0.getTime());
      expect(later.length).toBeGreaterThan(3);
      expect(later.some((t) => t.category === "salary")).toBe(true);
      for (const t of later) expect(Date.parse(t.postedAt)).toBeLessThanOrEqual(now.getTime());
    });

    it("an emptied account is never overdrawn by the history that follows", async () => {
      const w = world();
      const username = `empty_${ref("u").slice(4, 14)}`;
      await f.admin.createCustomers(w.realm, [customer(BANKS.gtbank, username, { balance: 100_000_000, volume: "high", income: { kind: "none" } })]);
      const conn = w.conn(BANKS.gtbank);
      const { session } = await login(conn, username, "Secret-pass-1");
      const account = await firstAccount(conn, session);
      const available = (await conn.getBalance({ session, accountId: account.id })).available;
      await conn.debit({ session, accountId: account.id, amount: available, currency: "NGN", reference: ref("all"), narration: "x", authorization: { pin: secret(MAGIC.pin) } });
      expect(await ledger(conn, session, account.id)).toBe(0);
      await w.advance(45 * DAY);
      const { session: s2 } = await login(conn, username, "Secret-pass-1");
      const now = await w.now();
      const { lines } = await allTransactions(conn, s2, account.id, isoDate(new Date(now.getTime() - 800 * DAY)), now.toISOString());
      const asc = [...lines].reverse();
      for (let i = 1; i < asc.length; i++) expect(asc[i]!.balance).toBe(asc[i - 1]!.balance + signed(asc[i]!));
      for (const t of lines) expect(t.balance, `line ${t.id} ${t.narration}`).toBeGreaterThanOrEqual(0);
      expect(lines[0]!.balance).toBe(await ledger(conn, s2, account.id));
    });

    it("a bad cursor is rejected invalid_request, not a crash", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const { session } = await login(conn, "okro_good");
      const account = await firstAccount(conn, session);
      const now = await w.now();
      const from = isoDate(new Date(now.getTime() - 365 * DAY));
      const to = now.toISOString();
      for (const cursor of ["garbage", "eyJ4IjoxfQ", "%%%", "a".repeat(5000)]) {
        const err = await caught(conn.listTransactions({ session, accountId: account.id, from, to, cursor }));
        expect(err, cursor.slice(0, 20)).toMatchObject({ kind: "rejected", reason: "invalid_request", field: "cursor" });
      }
      // A cursor from another window is not valid either.
      const page = await conn.listTransactions({ session, accountId: account.id, from, to, limit: 5 });
      expect(page.hasMore).toBe(true);
      const err = await caught(conn.listTransactions({ session, accountId: account.id, from: isoDate(new Date(now.getTime() - 30 * DAY)), to, cursor: page.nextCursor! }));
      expect(err).toMatchObject({ kind: "rejected", reason: "invalid_request" });
    });

    it("pages hold 100 lines by default; a limit above 500 is capped, not refused", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const { session } = await login(conn, "okro_good");
      const account = await firstAccount(conn, session);
      const now = await w.now();
      const from = isoDate(new Date(now.getTime() - 800 * DAY));
      const to = now.toISOString();
      const { lines: all } = await allTransactions(conn, session, account.id, from, to);
      const first = await conn.listTransactions({ session, accountId: account.id, from, to });
      expect(first.transactions).toHaveLength(Math.min(100, all.length));
      const big = await conn.listTransactions({ session, accountId: account.id, from, to, limit: 10_000 });
      expect(big.transactions).toHaveLength(Math.min(500, all.length));
    });

    it("bad dates are rejected invalid_request naming the field", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const { session } = await login(conn, "okro_good");
      const account = await firstAccount(conn, session);
      const err = await caught(conn.listTransactions({ session, accountId: account.id, from: "yesterday", to: "2026-03-10" }));
      expect(err).toMatchObject({ kind: "rejected", reason: "invalid_request", field: "from" });
    });
  });

  // -------------------------------------------------------------------------------------------
  describe("debits and credits", () => {
    interface Payer {
      w: World;
      conn: BankConnector;
      session: BankSession;
      account: BankAccount;
    }
    async function payer(w: World = world(), bankId: string = BANKS.gtbank, who = "okro_good"): Promise<Payer> {
      const conn = w.conn(bankId);
      const { session } = await login(conn, who);
      return { w, conn, session, account: await firstAccount(conn, session) };
    }
    const debitReq = (p: Payer, over: Partial<DebitRequest> = {}): DebitRequest => ({
      session: p.session,
      accountId: p.account.id,
      amount: 150_000,
      currency: "NGN",
      reference: ref("deb"),
      narration: "Okro contract test",
      authorization: { otp: secret(MAGIC.otp) },
      ...over,
    });
    async function linesWith(p: Payer, reference: string) {
      const now = await p.w.now();
      const { lines } = await allTransactions(p.conn, p.session, p.account.id, isoDate(new Date(now.getTime() - 2 * DAY)), new Date(now.getTime() + DAY).toISOString());
      return lines.filter((t) => t.reference === reference);
    }

    it("an OTP-authorised debit moves exactly the amount, with a reference line and a 30-digit session id", async () => {
      const p = await payer();
      const before = await p.conn.getBalance({ session: p.session, accountId: p.account.id });
      const req = debitReq(p);
      const result = await p.conn.debit(req);
      expect(result).toMatchObject({ reference: req.reference, status: "success", amount: req.amount, currency: "NGN" });
      expect(result.sessionId).toMatch(/^\d{30}$/);
      const after = await p.conn.getBalance({ session: p.session, accountId: p.account.id });
      expect(after.ledger).toBe(before.ledger - req.amount);
      expect(after.available).toBe(before.available - req.amount);
      const lines = await linesWith(p, req.reference);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ type: "debit", amount: req.amount, balance: after.ledger, sessionId: result.sessionId });
      const status = await p.conn.debitStatus({ reference: req.reference });
      expect(status).toMatchObject({ found: true, status: "success", reference: req.reference, amount: req.amount, sessionId: result.sessionId });
    });

    it("PIN 1234 authorises too", async () => {
      const p = await payer();
      const before = await ledger(p.conn, p.session, p.account.id);
      const req = debitReq(p, { authorization: { pin: secret(MAGIC.pin) }, amount: 2_500 });
      expect((await p.conn.debit(req)).status).toBe("success");
      expect(await ledger(p.conn, p.session, p.account.id)).toBe(before - 2_500);
    });

    it("a wrong OTP or PIN is invalid_otp with attempts left, none at all is invalid_request; nothing moves", async () => {
      const p = await payer();
      const before = await ledger(p.conn, p.session, p.account.id);
      const left: (number | undefined)[] = [];
      for (const authorization of [{ otp: secret("654321") }, { pin: secret("9999") }]) {
        const req = debitReq(p, { authorization });
        const err = await caught(p.conn.debit(req));
        expect(err).toMatchObject({ kind: "rejected", reason: "invalid_otp" });
        left.push(err.attemptsLeft);
        expect((await p.conn.debitStatus({ reference: req.reference })).status).not.toBe("success");
      }
      expect(left).toEqual([4, 3]);
      expect(await caught(p.conn.debit(debitReq(p, { authorization: {} })))).toMatchObject({ kind: "rejected", reason: "invalid_request", field: "authorization" });
      expect(await ledger(p.conn, p.session, p.account.id)).toBe(before);
    });

    it("five wrong payment codes lock the account's payments; 30 minutes later it pays again", async () => {
      const p = await payer();
      for (let i = 0; i < 5; i++) await caught(p.conn.debit(debitReq(p, { authorization: { otp: secret("000000") } })));
      const locked = await caught(p.conn.debit(debitReq(p)));
      expect(locked).toMatchObject({ kind: "rejected", reason: "locked" });
      await p.w.advance(30 * MINUTE + 1000);
      const { session } = await login(p.conn, "okro_good");
      expect((await p.conn.debit(debitReq({ ...p, session }))).status).toBe("success");
    });

    it("parallel wrong payment codes never get more than five checked", async () => {
      const p = await payer();
      const codes = await Promise.all(Array.from({ length: 12 }, () => caught(p.conn.debit(debitReq(p, { authorization: { otp: secret("000000") } })))));
      expect(codes.filter((e) => e.reason === "invalid_otp").map((e) => e.attemptsLeft).sort()).toEqual([1, 2, 3, 4]);
      expect(codes.every((e) => e.reason === "invalid_otp" || e.reason === "locked")).toBe(true);
      expect(await caught(p.conn.debit(debitReq(p)))).toMatchObject({ kind: "rejected", reason: "locked" });
    });

    it("pays the destination account, across banks", async () => {
      const w = world();
      const p = await payer(w);
      const dest = await payer(w, BANKS.zenith, "okro_question");
      const [pb, db] = [await ledger(p.conn, p.session, p.account.id), await ledger(dest.conn, dest.session, dest.account.id)];
      const req = debitReq(p, { amount: 77_700, destination: { bankId: BANKS.zenith, nuban: dest.account.nuban } });
      const result = await p.conn.debit(req);
      expect(result.status).toBe("success");
      expect(await ledger(p.conn, p.session, p.account.id)).toBe(pb - 77_700);
      expect(await ledger(dest.conn, dest.session, dest.account.id)).toBe(db + 77_700);
      const now = await w.now();
      const { lines } = await allTransactions(dest.conn, dest.session, dest.account.id, isoDate(new Date(now.getTime() - DAY)), new Date(now.getTime() + DAY).toISOString());
      const credit = lines.filter((t) => t.sessionId === result.sessionId);
      expect(credit).toHaveLength(1);
      expect(credit[0]).toMatchObject({ type: "credit", amount: 77_700 });
    });

    it("an unknown destination account is refused and nothing moves", async () => {
      const p = await payer();
      const before = await ledger(p.conn, p.session, p.account.id);
      const code = profileOf(BANKS.zenith).cbnCode;
      let nuban = "";
      for (let d = 0; d <= 9 && !nuban; d++) if (isValidNuban(code, `987650432${d}`)) nuban = `987650432${d}`;
      expect(nuban).toMatch(/^\d{10}$/);
      const err = await caught(p.conn.debit(debitReq(p, { destination: { bankId: BANKS.zenith, nuban } })));
      expect(err).toMatchObject({ kind: "rejected", reason: "unknown_account" });
      expect(await ledger(p.conn, p.session, p.account.id)).toBe(before);
    });

    it("a debit to the paying account itself is invalid_request", async () => {
      const p = await payer();
      const err = await caught(p.conn.debit(debitReq(p, { destination: { bankId: BANKS.gtbank, nuban: p.account.nuban } })));
      expect(err).toMatchObject({ kind: "rejected", reason: "invalid_request", field: "destination" });
    });

    it("racing debits with one reference move money once", async () => {
      const p = await payer();
      const before = await ledger(p.conn, p.session, p.account.id);
      const req = debitReq(p, { amount: 4_321 });
      // Right codes racing each other are all decided (none is held back as a guess).
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => p.conn.debit(req)));
      const ok = results.filter((r) => r.status === "fulfilled");
      expect(ok).toHaveLength(1);
      for (const r of results) {
        if (r.status === "rejected") expect(r.reason).toMatchObject({ kind: "rejected", reason: "duplicate_reference" });
      }
      expect(await ledger(p.conn, p.session, p.account.id)).toBe(before - 4_321);
      expect(await linesWith(p, req.reference)).toHaveLength(1);
    });

    it("racing debits never overdraw the account", async () => {
      const w = world();
      const username = `race_${ref("u").slice(4, 14)}`;
      await f.admin.createCustomers(w.realm, [customer(BANKS.gtbank, username, { balance: 1_000_000, volume: "low", income: { kind: "none" } })]);
      const conn = w.conn(BANKS.gtbank);
      const { session } = await login(conn, username, "Secret-pass-1");
      const account = await firstAccount(conn, session);
      const p = { w, conn, session, account };
      const available = (await conn.getBalance({ session, accountId: account.id })).available;
      const amount = Math.floor(available / 3) + 1; // three fit only if the balance check is skipped
      const results = await Promise.allSettled(Array.from({ length: 3 }, () => conn.debit(debitReq(p, { amount }))));
      const ok = results.filter((r) => r.status === "fulfilled").length;
      expect(ok).toBe(2);
      const after = await conn.getBalance({ session, accountId: account.id });
      expect(after.available).toBe(available - 2 * amount);
      expect(after.available).toBeGreaterThanOrEqual(0);
    });

    it("insufficient funds is refused and nothing moves", async () => {
      const w = world();
      const username = `poor_${ref("u").slice(4, 14)}`;
      // No income: the account can only have less than it opened with.
      await f.admin.createCustomers(w.realm, [customer(BANKS.gtbank, username, { balance: 500_000, volume: "low", income: { kind: "none" } })]);
      const conn = w.conn(BANKS.gtbank);
      const { session } = await login(conn, username, "Secret-pass-1");
      const account = await firstAccount(conn, session);
      const before = await conn.getBalance({ session, accountId: account.id });
      expect(before.available).toBeLessThan(profileOf(BANKS.gtbank).dailyLimit.individual);
      const err = await caught(
        conn.debit({ ...debitReq({ w, conn, session, account }), amount: before.available + 1 }),
      );
      expect(err).toMatchObject({ kind: "rejected", reason: "insufficient_funds" });
      expect(await conn.getBalance({ session, accountId: account.id })).toMatchObject({ available: before.available, ledger: before.ledger });
    });

    it("the daily limit is refused and nothing moves; it counts the day's debits", async () => {
      const w = world();
      const username = `rich_${ref("u").slice(4, 14)}`;
      const limit = profileOf(BANKS.gtbank).dailyLimit.individual;
      expect(limit).toBe(500_000_000);
      await f.admin.createCustomers(w.realm, [customer(BANKS.gtbank, username, { balance: 4 * limit })]);
      const conn = w.conn(BANKS.gtbank);
      const { session } = await login(conn, username, "Secret-pass-1");
      const account = await firstAccount(conn, session);
      const p = { w, conn, session, account };
      const b0 = await ledger(conn, session, account.id);
      expect(b0).toBeGreaterThan(limit + 1);
      expect(await caught(conn.debit(debitReq(p, { amount: limit + 1 })))).toMatchObject({ kind: "rejected", reason: "limit_exceeded" });
      expect(await ledger(conn, session, account.id)).toBe(b0);
      expect((await conn.debit(debitReq(p, { amount: 300_000_000 }))).status).toBe("success");
      expect(await caught(conn.debit(debitReq(p, { amount: 250_000_000 })))).toMatchObject({ kind: "rejected", reason: "limit_exceeded" });
      expect(await ledger(conn, session, account.id)).toBe(b0 - 300_000_000);
      expect((await conn.debit(debitReq(p, { amount: 200_000_000 }))).status).toBe("success");
    });

    it("bad amounts, currencies and references are invalid_request naming the field; nothing moves", async () => {
      const p = await payer();
      const before = await ledger(p.conn, p.session, p.account.id);
      const cases: [Partial<DebitRequest>, string][] = [
        [{ amount: 0 }, "amount"],
        [{ amount: -1 }, "amount"],
        [{ amount: 1.5 }, "amount"],
        [{ amount: Number.NaN }, "amount"],
        [{ amount: 2 ** 60 }, "amount"],
        [{ amount: Number.POSITIVE_INFINITY }, "amount"],
        [{ currency: "USD" }, "currency"],
        [{ currency: "" }, "currency"],
        [{ reference: "" }, "reference"],
        [{ reference: "r".repeat(65) }, "reference"],
        [{ reference: "has spaces in it" }, "reference"],
      ];
      for (const [over, field] of cases) {
        const err = await caught(p.conn.debit(debitReq(p, over)));
        expect(err, JSON.stringify(over)).toMatchObject({ kind: "rejected", reason: "invalid_request", field });
      }
      expect(await ledger(p.conn, p.session, p.account.id)).toBe(before);
      // 64 characters is fine.
      expect((await p.conn.debit(debitReq(p, { reference: "R".repeat(30) + ref("x").slice(2, 36), amount: 100 }))).status).toBe("success");
    });

    it("a used reference is duplicate_reference, same body or not, and nothing moves again", async () => {
      const p = await payer();
      const req = debitReq(p, { amount: 12_300 });
      const first = await p.conn.debit(req);
      expect(first.status).toBe("success");
      const after = await ledger(p.conn, p.session, p.account.id);
      for (const again of [req, { ...req, amount: 99 }, { ...req, authorization: { pin: secret(MAGIC.pin) } }]) {
        expect(await caught(p.conn.debit(again))).toMatchObject({ kind: "rejected", reason: "duplicate_reference" });
      }
      expect(await ledger(p.conn, p.session, p.account.id)).toBe(after);
      expect(await linesWith(p, req.reference)).toHaveLength(1);
      expect(await p.conn.debitStatus({ reference: req.reference })).toMatchObject({ status: "success", amount: 12_300, found: true });
    });

    it("debitStatus of a reference the bank never saw is not_found", async () => {
      const w = world();
      const reference = ref("never");
      expect(await w.conn(BANKS.gtbank).debitStatus({ reference })).toEqual({ reference, status: "not_found", found: false });
      expect(await w.conn(BANKS.gtbank).creditStatus({ reference })).toEqual({ reference, status: "not_found", found: false });
    });

    it("references are per bank: a debit's reference at GTBank is unknown at Zenith", async () => {
      const p = await payer();
      const req = debitReq(p, { amount: 1_000 });
      await p.conn.debit(req);
      expect((await p.w.conn(BANKS.zenith).debitStatus({ reference: req.reference })).status).toBe("not_found");
    });

    it("a credit raises the destination's balance; creditStatus reports it", async () => {
      const p = await payer();
      const before = await ledger(p.conn, p.session, p.account.id);
      const reference = ref("cred");
      const result = await p.conn.credit({
        amount: 45_600,
        currency: "NGN",
        reference,
        narration: "refund",
        destination: { bankId: BANKS.gtbank, nuban: p.account.nuban },
      });
      expect(result).toMatchObject({ reference, status: "success", amount: 45_600, currency: "NGN" });
      expect(result.sessionId).toMatch(/^\d{30}$/);
      expect(await ledger(p.conn, p.session, p.account.id)).toBe(before + 45_600);
      const now = await p.w.now();
      const { lines } = await allTransactions(p.conn, p.session, p.account.id, isoDate(new Date(now.getTime() - DAY)), new Date(now.getTime() + DAY).toISOString());
      const mine = lines.filter((t) => t.reference === reference || t.sessionId === result.sessionId);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ type: "credit", amount: 45_600 });
      expect(await p.conn.creditStatus({ reference })).toMatchObject({ found: true, status: "success", amount: 45_600 });
      // And a reused credit reference moves nothing.
      expect(
        await caught(p.conn.credit({ amount: 45_600, currency: "NGN", reference, narration: "refund", destination: { bankId: BANKS.gtbank, nuban: p.account.nuban } })),
      ).toMatchObject({ kind: "rejected", reason: "duplicate_reference" });
      expect(await ledger(p.conn, p.session, p.account.id)).toBe(before + 45_600);
    });

    it("a credit never takes a customer's money: naming a source is refused and nothing moves", async () => {
      const w = world();
      const src = await payer(w, BANKS.gtbank, "okro_question");
      const dst = await payer(w, BANKS.zenith, "okro_good");
      const [sb, db] = [await ledger(src.conn, src.session, src.account.id), await ledger(dst.conn, dst.session, dst.account.id)];
      const request = {
        amount: 10_000,
        currency: "NGN",
        reference: ref("payout"),
        narration: "payout",
        source: { bankId: BANKS.gtbank, nuban: src.account.nuban },
        destination: { bankId: BANKS.zenith, nuban: dst.account.nuban },
      };
      expect(await caught(src.conn.credit(request as CreditRequest))).toMatchObject({ kind: "rejected", reason: "invalid_request" });
      expect(await ledger(src.conn, src.session, src.account.id)).toBe(sb);
      expect(await ledger(dst.conn, dst.session, dst.account.id)).toBe(db);
    });

    it("a credit with a bad amount or currency is invalid_request", async () => {
      const p = await payer();
      const base = { amount: 100, currency: "NGN", reference: ref("c"), narration: "x", destination: { bankId: BANKS.gtbank, nuban: p.account.nuban } };
      expect(await caught(p.conn.credit({ ...base, amount: -5 }))).toMatchObject({ reason: "invalid_request", field: "amount" });
      expect(await caught(p.conn.credit({ ...base, currency: "GHS" }))).toMatchObject({ reason: "invalid_request", field: "currency" });
    });
  });

  // -------------------------------------------------------------------------------------------
  describe("faults", () => {
    async function payer(w: World) {
      const conn = w.conn(BANKS.gtbank);
      const { session } = await login(conn, "okro_good");
      const account = await firstAccount(conn, session);
      const debit = (reference: string, amount = 5_000) =>
        ({ session, accountId: account.id, amount, currency: "NGN", reference, narration: "fault test", authorization: { otp: secret(MAGIC.otp) } }) satisfies DebitRequest;
      return { conn, session, account, debit, balance: () => ledger(conn, session, account.id) };
    }

    it("errorRate 1: retryable, nothing moves, not_found; clearFaults restores and the same reference then pays", async () => {
      const w = world();
      const p = await payer(w);
      const before = await p.balance();
      await f.admin.setFaults(w.realm, BANKS.gtbank, { errorRate: 1, operations: ["debit"] });
      const reference = ref("err");
      const err = await caught(p.conn.debit(p.debit(reference)));
      expect(err.kind).toBe("retryable");
      expect(await p.balance()).toBe(before);
      expect((await p.conn.debitStatus({ reference })).status).toBe("not_found");
      await f.admin.clearFaults(w.realm, BANKS.gtbank);
      expect((await p.conn.debit(p.debit(reference))).status).toBe("success");
      expect(await p.balance()).toBe(before - 5_000);
    });

    it("faults limited to some operations leave the others alone", async () => {
      const w = world();
      const p = await payer(w);
      await f.admin.setFaults(w.realm, BANKS.gtbank, { errorRate: 1, operations: ["getBalance"] });
      expect((await caught(p.conn.getBalance({ session: p.session, accountId: p.account.id }))).kind).toBe("retryable");
      expect((await p.conn.listAccounts({ session: p.session })).length).toBeGreaterThan(0);
      expect((await f.admin.getFaults(w.realm)).find((b) => b.bankId === BANKS.gtbank)?.settings).toMatchObject({ errorRate: 1, operations: ["getBalance"] });
      // Other banks are unaffected.
      await login(w.conn(BANKS.zenith), "okro_good").then(async ({ session }) => {
        const a = await firstAccount(w.conn(BANKS.zenith), session);
        await w.conn(BANKS.zenith).getBalance({ session, accountId: a.id });
      });
    });

    it("a connector's default timeout applies to calls given none", async () => {
      const w = world();
      const conn = f.connector(BANKS.gtbank, w.realm, { defaultTimeoutMs: 200 });
      await f.admin.setFaults(w.realm, BANKS.gtbank, { timeoutRate: 1, operations: ["debitStatus"] });
      const started = performance.now();
      expect((await caught(conn.debitStatus({ reference: ref("t") }))).kind).toBe("timeout");
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(180);
      expect(elapsed).toBeLessThan(1_500);
    });

    it("timeoutRate 1: timeout after about the call's timeoutMs; nothing moved (not_found)", async () => {
      const w = world();
      const p = await payer(w);
      const before = await p.balance();
      await f.admin.setFaults(w.realm, BANKS.gtbank, { timeoutRate: 1, operations: ["debit"] });
      const reference = ref("to");
      const started = performance.now();
      const err = await caught(p.conn.debit(p.debit(reference), { timeoutMs: 300 }));
      const elapsed = performance.now() - started;
      expect(err.kind).toBe("timeout");
      expect(elapsed).toBeGreaterThanOrEqual(280);
      expect(elapsed).toBeLessThan(1_500);
      expect((await p.conn.debitStatus({ reference })).status).toBe("not_found");
      expect(await p.balance()).toBe(before);
    });

    it("lostResponseRate 1: timeout, yet the money moved exactly once; a re-send is duplicate_reference", async () => {
      const w = world();
      const p = await payer(w);
      const before = await p.balance();
      await f.admin.setFaults(w.realm, BANKS.gtbank, { lostResponseRate: 1, operations: ["debit"] });
      const reference = ref("lost");
      const started = performance.now();
      const err = await caught(p.conn.debit(p.debit(reference, 8_800), { timeoutMs: 300 }));
      expect(err.kind).toBe("timeout");
      expect(performance.now() - started).toBeLessThan(1_500);
      expect(await p.conn.debitStatus({ reference })).toMatchObject({ found: true, status: "success", amount: 8_800 });
      expect(await p.balance()).toBe(before - 8_800);
      // Still faulty: the re-send must not move money (whatever the caller is told).
      const again = await caught(p.conn.debit(p.debit(reference, 8_800), { timeoutMs: 300 }));
      expect(["timeout", "rejected"]).toContain(again.kind);
      expect(await p.balance()).toBe(before - 8_800);
      await f.admin.clearFaults(w.realm);
      expect(await caught(p.conn.debit(p.debit(reference, 8_800)))).toMatchObject({ kind: "rejected", reason: "duplicate_reference" });
      expect(await p.balance()).toBe(before - 8_800);
      const now = await w.now();
      const { lines } = await allTransactions(p.conn, p.session, p.account.id, isoDate(new Date(now.getTime() - DAY)), now.toISOString());
      expect(lines.filter((t) => t.reference === reference)).toHaveLength(1);
    });

    it("pendingRate 1: pending, then success after pendingMs of sandbox time", async () => {
      const w = world();
      const p = await payer(w);
      const before = await p.balance();
      await f.admin.setFaults(w.realm, BANKS.gtbank, { pendingRate: 1, pendingMs: 120_000, operations: ["debit"] });
      const reference = ref("pend");
      const result = await p.conn.debit(p.debit(reference, 3_300));
      expect(result).toMatchObject({ status: "pending", reference, amount: 3_300 });
      expect(result.sessionId).toMatch(/^\d{30}$/);
      expect((await p.conn.debitStatus({ reference })).status).toBe("pending");
      await w.advance(60_000);
      expect((await p.conn.debitStatus({ reference })).status).toBe("pending");
      await w.advance(61_000);
      expect(await p.conn.debitStatus({ reference })).toMatchObject({ found: true, status: "success", amount: 3_300 });
      const after = await p.conn.getBalance({ session: p.session, accountId: p.account.id });
      expect(after.ledger).toBe(before - 3_300);
      expect(after.available).toBeLessThanOrEqual(after.ledger);
      // A duplicate while pending or after is still refused.
      expect(await caught(p.conn.debit(p.debit(reference, 3_300)))).toMatchObject({ reason: "duplicate_reference" });
    });

    it("failRate 1: pending (held from available, still on the books), then failed after pendingMs with the money returned", async () => {
      const w = world();
      const p = await payer(w);
      const before = await p.conn.getBalance({ session: p.session, accountId: p.account.id });
      await f.admin.setFaults(w.realm, BANKS.gtbank, { failRate: 1, pendingMs: 120_000, operations: ["debit"] });
      const reference = ref("fail");
      expect(await p.conn.debit(p.debit(reference, 4_400))).toMatchObject({ status: "pending", reference, amount: 4_400 });
      const held = await p.conn.getBalance({ session: p.session, accountId: p.account.id });
      expect(held.available).toBe(before.available - 4_400);
      expect(held.ledger).toBe(before.ledger);
      await w.advance(121_000);
      const status = await p.conn.debitStatus({ reference });
      expect(status).toMatchObject({ found: true, status: "failed", amount: 4_400 });
      expect(status.status === "failed" && status.failureReason).toMatch(/returned/);
      const after = await p.conn.getBalance({ session: p.session, accountId: p.account.id });
      expect(after.available).toBe(before.available);
      expect(after.ledger).toBe(before.ledger);
      const now = await w.now();
      const { lines } = await allTransactions(p.conn, p.session, p.account.id, isoDate(new Date(now.getTime() - DAY)), now.toISOString());
      const ours = lines.filter((t) => t.reference === reference);
      expect(ours.map((t) => [t.type, t.category]).sort()).toEqual([["credit", "reversal"], ["debit", "transfer_out"]]);
      // The reference stays used: a failed transfer is answered by a new one with a new reference.
      expect(await caught(p.conn.debit(p.debit(reference, 4_400)))).toMatchObject({ reason: "duplicate_reference" });
    });

    it("money on its way is not the payee's until it settles: a failed transfer never overdraws the payee", async () => {
      const w = world();
      const p = await payer(w);
      const username = `payee_${ref("u").slice(-8)}`;
      await f.admin.createCustomers(w.realm, [
        { bankId: BANKS.zenith, username, password: "payee-pass", type: "ind", volume: "low", identity: 100, noOfAccount: 1, internetSpeed: 4, balance: 0 },
      ]);
      const payee = w.conn(BANKS.zenith);
      const { session } = await login(payee, username, "payee-pass");
      const account = await firstAccount(payee, session);
      const payeeBalance = async () => (await payee.getBalance({ session, accountId: account.id })).available;
      const spend = (reference: string) =>
        payee.debit({ session, accountId: account.id, amount: 100_000, currency: "NGN", reference, narration: "spend", authorization: { pin: secret(MAGIC.pin) } });

      await f.admin.setFaults(w.realm, BANKS.gtbank, { failRate: 1, pendingMs: 60_000, operations: ["debit"] });
      const failing = ref("fl");
      const sent = await p.conn.debit({ ...p.debit(failing, 100_000), destination: { bankId: BANKS.zenith, nuban: account.nuban } });
      expect(sent.status).toBe("pending");
      expect(await payeeBalance()).toBe(0);
      expect(await caught(spend(ref("sp")))).toMatchObject({ reason: "insufficient_funds" });
      await w.advance(61_000);
      expect((await p.conn.debitStatus({ reference: failing })).status).toBe("failed");
      expect(await payeeBalance()).toBe(0);

      await f.admin.setFaults(w.realm, BANKS.gtbank, { pendingRate: 1, pendingMs: 60_000, operations: ["debit"] });
      const settling = ref("ok");
      await p.conn.debit({ ...p.debit(settling, 100_000), destination: { bankId: BANKS.zenith, nuban: account.nuban } });
      expect(await payeeBalance()).toBe(0);
      await w.advance(61_000);
      expect((await p.conn.debitStatus({ reference: settling })).status).toBe("success");
      expect(await payeeBalance()).toBe(100_000);
      expect((await spend(ref("sp"))).status).toBe("success");
    });

    it("rateLimitPerMinute: calls beyond it are rate_limited with retryAfterMs, until the minute passes", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      await f.admin.setFaults(w.realm, BANKS.gtbank, { rateLimitPerMinute: 3 });
      for (let i = 0; i < 3; i++) await conn.debitStatus({ reference: ref("rl") });
      const err = await caught(conn.debitStatus({ reference: ref("rl") }));
      expect(err.kind).toBe("rate_limited");
      expect(err.retryAfterMs).toBeGreaterThan(0);
      expect(err.retryAfterMs).toBeLessThanOrEqual(60_000);
      await w.advance(61_000);
      expect((await conn.debitStatus({ reference: ref("rl") })).status).toBe("not_found");
    });

    it("down: every call is retryable with retryAfterMs; clearFaults restores", async () => {
      const w = world();
      const p = await payer(w);
      await f.admin.setFaults(w.realm, BANKS.gtbank, { down: true });
      for (const call of [
        () => p.conn.startLogin(ib("okro_good")),
        () => p.conn.getBalance({ session: p.session, accountId: p.account.id }),
        () => p.conn.debitStatus({ reference: ref("d") }),
      ]) {
        const err = await caught(call());
        expect(err.kind).toBe("retryable");
        expect(err.retryAfterMs).toBeGreaterThan(0);
      }
      await f.admin.clearFaults(w.realm, BANKS.gtbank);
      expect((await p.conn.startLogin(ib("okro_good"))).status).toBe("connected");
      expect(await f.admin.getFaults(w.realm)).toSatisfy((list: { bankId: string; settings: object }[]) =>
        list.every((b) => b.bankId !== BANKS.gtbank || Object.keys(b.settings).length === 0),
      );
    });

    it("a downtime window: retryable until it ends (retryAfterMs points at the end), then up", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const now = await w.now();
      const to = new Date(now.getTime() + 10 * MINUTE);
      await f.admin.setFaults(w.realm, BANKS.gtbank, {
        downtime: [{ from: new Date(now.getTime() + 2 * MINUTE).toISOString(), to: to.toISOString() }],
      });
      expect((await conn.startLogin(ib("okro_good"))).status).toBe("connected"); // before the window
      await w.advance(3 * MINUTE);
      const err = await caught(conn.startLogin(ib("okro_good")));
      expect(err.kind).toBe("retryable");
      expect(err.retryAfterMs).toBeGreaterThan(6 * MINUTE);
      expect(err.retryAfterMs).toBeLessThanOrEqual(7 * MINUTE + 1000);
      await w.advanceTo(to);
      expect((await conn.startLogin(ib("okro_good"))).status).toBe("connected");
    });

    it("Union Bank is down 01:00–02:00 Lagos time and up again at 02:00", async () => {
      const w = world();
      const conn = w.conn(BANKS.union);
      expect((await conn.startLogin(ib("okro_good"))).status).toBe("connected");
      const now = await w.now();
      // Next 00:30 UTC = 01:30 WAT.
      const target = new Date(now);
      target.setUTCHours(0, 30, 0, 0);
      if (target <= now) target.setUTCDate(target.getUTCDate() + 1);
      await w.advanceTo(target);
      const err = await caught(conn.startLogin(ib("okro_good")));
      expect(err.kind).toBe("retryable");
      expect(err.retryAfterMs).toBeGreaterThan(0);
      expect(err.retryAfterMs).toBeLessThanOrEqual(30 * MINUTE + 1000);
      // Another bank is up meanwhile.
      expect((await w.conn(BANKS.gtbank).startLogin(ib("okro_good"))).status).toBe("connected");
      await w.advance(30 * MINUTE); // 02:00 WAT: end exclusive
      expect((await conn.startLogin(ib("okro_good"))).status).toBe("connected");
    });

    it("faults are per realm", async () => {
      const a = world();
      const b = world();
      await f.admin.setFaults(a.realm, BANKS.gtbank, { down: true });
      expect((await caught(a.conn(BANKS.gtbank).startLogin(ib("okro_good")))).kind).toBe("retryable");
      expect((await b.conn(BANKS.gtbank).startLogin(ib("okro_good"))).status).toBe("connected");
    });
  });

  // -------------------------------------------------------------------------------------------
  describe("mandates", () => {
    it("pending → active after the activation delay; capped debits without OTP; cancel stops them", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const { session } = await login(conn, "okro_good");
      const account = await firstAccount(conn, session);
      const now = await w.now();
      const reference = ref("mdt");
      const mandate = await conn.createMandate({
        session,
        accountId: account.id,
        reference,
        maxAmount: 50_000,
        currency: "NGN",
        startDate: isoDate(now),
        narration: "loan repayment",
        authorization: { otp: secret(MAGIC.otp) },
      });
      expect(mandate).toMatchObject({ reference, status: "pending", accountId: account.id, maxAmount: 50_000, currency: "NGN", startDate: isoDate(now) });
      const delay = Date.parse(mandate.activatesAt) - Date.parse(mandate.createdAt);
      expect(delay).toBeGreaterThanOrEqual(5 * MINUTE - 1000);
      expect(delay).toBeLessThanOrEqual(5 * MINUTE + 1000);

      const mdebit = (amount: number, r = ref("md")) => ({ mandateId: mandate.id, amount, currency: "NGN", reference: r, narration: "instalment" });
      expect(await caught(conn.debitMandate(mdebit(10_000)))).toMatchObject({ kind: "rejected", reason: "mandate_inactive" });
      // The balance enquiry under a mandate (GSI) needs it active too.
      expect(await caught(conn.mandateBalance({ mandateId: mandate.id }))).toMatchObject({ kind: "rejected", reason: "mandate_inactive" });
      expect((await conn.getMandate({ mandateId: mandate.id })).status).toBe("pending");
      // A lost createMandate answer is recovered by the caller's reference.
      expect(await conn.getMandate({ reference })).toMatchObject({ id: mandate.id, status: "pending" });
      expect(await caught(conn.getMandate({ reference: ref("nope") }))).toMatchObject({ kind: "rejected", reason: "not_found" });

      await w.advance(5 * MINUTE + 1000);
      expect(await conn.getMandate({ mandateId: mandate.id })).toMatchObject({ id: mandate.id, status: "active", reference });

      const { session: s2 } = await login(conn, "okro_good"); // the first session may have lapsed in real use
      const before = await ledger(conn, s2, account.id);
      // Without the customer's session: the same available balance the customer sees.
      const seen = await conn.mandateBalance({ mandateId: mandate.id });
      expect(seen).toMatchObject({ accountId: account.id, currency: "NGN", available: (await conn.getBalance({ session: s2, accountId: account.id })).available });
      const r1 = ref("md");
      const paid = await conn.debitMandate(mdebit(40_000, r1));
      expect(paid).toMatchObject({ status: "success", amount: 40_000, reference: r1 });
      expect(paid.sessionId).toMatch(/^\d{30}$/);
      expect(await ledger(conn, s2, account.id)).toBe(before - 40_000);
      expect(await conn.debitStatus({ reference: r1 })).toMatchObject({ status: "success", amount: 40_000 });
      expect(await caught(conn.debitMandate(mdebit(40_000, r1)))).toMatchObject({ reason: "duplicate_reference" });
      expect(await caught(conn.debitMandate(mdebit(50_001)))).toMatchObject({ kind: "rejected", reason: "limit_exceeded" });
      expect(await ledger(conn, s2, account.id)).toBe(before - 40_000);

      const cancelled = await conn.cancelMandate({ mandateId: mandate.id });
      expect(cancelled.status).toBe("cancelled");
      expect(cancelled.cancelledAt).toBeTruthy();
      expect((await conn.cancelMandate({ mandateId: mandate.id })).status).toBe("cancelled"); // idempotent
      expect((await conn.getMandate({ mandateId: mandate.id })).status).toBe("cancelled");
      expect(await caught(conn.debitMandate(mdebit(1_000)))).toMatchObject({ kind: "rejected", reason: "mandate_inactive" });
      expect(await caught(conn.mandateBalance({ mandateId: mandate.id }))).toMatchObject({ kind: "rejected", reason: "mandate_inactive" });
      expect((await conn.getBalance({ session: s2, accountId: account.id })).available).toBe(seen.available - 40_000);
      expect(await ledger(conn, s2, account.id)).toBe(before - 40_000);
    });

    it("the activation delay is settable per bank; a wrong OTP creates no mandate; unknown mandates are not_found", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      await f.admin.setFaults(w.realm, BANKS.gtbank, { mandateActivationDelayMs: 60_000 });
      const { session } = await login(conn, "okro_good");
      const account = await firstAccount(conn, session);
      const now = await w.now();
      const base = { session, accountId: account.id, maxAmount: 10_000, currency: "NGN", startDate: isoDate(now), narration: "sub" };
      expect(await caught(conn.createMandate({ ...base, reference: ref("m"), authorization: { otp: secret("111111") } }))).toMatchObject({
        reason: "invalid_otp",
      });
      const m = await conn.createMandate({ ...base, reference: ref("m"), authorization: { pin: secret(MAGIC.pin) } });
      expect(m.status).toBe("pending");
      await w.advance(61_000);
      expect((await conn.getMandate({ mandateId: m.id })).status).toBe("active");
      const unknown = "0123456789abcdef01234567";
      expect(await caught(conn.getMandate({ mandateId: unknown }))).toMatchObject({ kind: "rejected", reason: "not_found" });
      expect(await caught(conn.cancelMandate({ mandateId: unknown }))).toMatchObject({ kind: "rejected", reason: "not_found" });
      expect(await caught(conn.debitMandate({ mandateId: unknown, amount: 100, currency: "NGN", reference: ref("x"), narration: "x" }))).toMatchObject({
        kind: "rejected",
      });
      expect(await caught(conn.getMandate({ mandateId: "no-such-mandate" }))).toMatchObject({ kind: "rejected", reason: "invalid_request", field: "mandateId" });
    });

    it("a mandate refuses debits after its end date", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const { session } = await login(conn, "okro_good");
      const account = await firstAccount(conn, session);
      const now = await w.now();
      const m = await conn.createMandate({
        session,
        accountId: account.id,
        reference: ref("m"),
        maxAmount: 10_000,
        currency: "NGN",
        startDate: isoDate(now),
        endDate: isoDate(new Date(now.getTime() + 2 * DAY)),
        narration: "short",
        authorization: { otp: secret(MAGIC.otp) },
      });
      await w.advance(10 * MINUTE);
      expect((await conn.debitMandate({ mandateId: m.id, amount: 1_000, currency: "NGN", reference: ref("md"), narration: "x" })).status).toBe("success");
      await w.advance(4 * DAY);
      const err = await caught(conn.debitMandate({ mandateId: m.id, amount: 1_000, currency: "NGN", reference: ref("md"), narration: "x" }));
      expect(err).toMatchObject({ kind: "rejected", reason: "mandate_inactive" });
    });
  });

  // -------------------------------------------------------------------------------------------
  describe("realms", () => {
    it("a session from realm A is worthless in realm B", async () => {
      const a = world();
      const b = world();
      const { session } = await login(a.conn(BANKS.gtbank), "okro_good");
      const err = await caught(b.conn(BANKS.gtbank).listAccounts({ session }));
      expect(err.kind).toBe("rejected");
      expect(["session_expired", "invalid_request"]).toContain(err.reason);
    });

    it("a mandate from realm A or another bank is not found", async () => {
      const a = world();
      const conn = a.conn(BANKS.gtbank);
      const { session } = await login(conn, "okro_good");
      const account = await firstAccount(conn, session);
      const m = await conn.createMandate({
        session,
        accountId: account.id,
        reference: ref("m"),
        maxAmount: 1_000,
        currency: "NGN",
        startDate: isoDate(await a.now()),
        narration: "x",
        authorization: { otp: secret(MAGIC.otp) },
      });
      expect(await caught(world().conn(BANKS.gtbank).getMandate({ mandateId: m.id }))).toMatchObject({ kind: "rejected", reason: "not_found" });
      expect(await caught(a.conn(BANKS.zenith).getMandate({ mandateId: m.id }))).toMatchObject({ kind: "rejected", reason: "not_found" });
    });

    it("a customer created in realm A cannot log in in realm B", async () => {
      const a = world();
      const b = world();
      const username = `dev_${ref("u").slice(4, 16)}`;
      await f.admin.createCustomers(a.realm, [customer(BANKS.gtbank, username)]);
      await login(a.conn(BANKS.gtbank), username, "Secret-pass-1");
      expect(await caught(b.conn(BANKS.gtbank).startLogin(ib(username, "Secret-pass-1")))).toMatchObject({ kind: "rejected", reason: "invalid_credentials" });
    });

    it("money moved in realm A is invisible in realm B", async () => {
      const a = world();
      const b = world();
      const ca = a.conn(BANKS.gtbank);
      const cb = b.conn(BANKS.gtbank);
      const { session: sa } = await login(ca, "okro_good");
      const { session: sb } = await login(cb, "okro_good");
      const acct = await firstAccount(ca, sa);
      expect((await firstAccount(cb, sb)).nuban).toBe(acct.nuban); // same seed, same data
      const [ba, bb] = [await ledger(ca, sa, acct.id), await ledger(cb, sb, acct.id)];
      expect(ba).toBe(bb);
      const reference = ref("realm");
      await ca.debit({ session: sa, accountId: acct.id, amount: 9_900, currency: "NGN", reference, narration: "x", authorization: { otp: secret(MAGIC.otp) } });
      expect(await ledger(ca, sa, acct.id)).toBe(ba - 9_900);
      expect(await ledger(cb, sb, acct.id)).toBe(bb);
      expect((await cb.debitStatus({ reference })).status).toBe("not_found");
      // The reference is free in realm B.
      await cb.debit({ session: sb, accountId: acct.id, amount: 100, currency: "NGN", reference, narration: "x", authorization: { pin: secret(MAGIC.pin) } });
    });
  });

  // -------------------------------------------------------------------------------------------
  describe("developer-created customers", () => {
    it("log in with their username and password, meeting the bank's MFA; noOfAccount and balance are honoured", async () => {
      const w = world();
      const username = `Ada_${ref("u").slice(4, 14)}`;
      const [view] = await f.admin.createCustomers(w.realm, [customer(BANKS.gtbank, username, { noOfAccount: 3, balance: 12_345_600, name: "Ada Obi Eze" })]);
      expect(view).toBeDefined();
      expect(view!.builtin).toBe(false);
      expect(view!.password).toBeUndefined();
      expect(view!.accounts).toHaveLength(3);
      expect(view!.accounts[0]!.balance).toBe(12_345_600);
      for (const a of view!.accounts) expect(isValidNuban(profileOf(BANKS.gtbank).cbnCode, a.nuban)).toBe(true);

      const conn = w.conn(BANKS.gtbank);
      const first = await conn.startLogin(ib(username.toUpperCase(), "Secret-pass-1"));
      const habit = profileOf(BANKS.gtbank).mfa;
      if (habit === "none") expect(first.status).toBe("connected");
      else expect(first.status === "mfa_required" && first.challenge.kind).toBe(habit);
      const { session } = await login(conn, username, "Secret-pass-1");
      const accounts = await conn.listAccounts({ session });
      expect(accounts.map((a) => a.nuban).sort()).toEqual(view!.accounts.map((a) => a.nuban).sort());
      const firstNuban = view!.accounts[0]!.nuban;
      const acct = accounts.find((a) => a.nuban === firstNuban)!;
      expect((await conn.getBalance({ session, accountId: acct.id })).available).toBe(12_345_600);
      const identity = await conn.getIdentity({ session });
      expect(identity).toMatchObject({ kind: "individual", fullName: "Ada Obi Eze" });
      expect(identity.bvn).toMatch(/^\d{11}$/);
      // A wrong password is invalid_credentials.
      expect(await caught(conn.startLogin(ib(username, "nope")))).toMatchObject({ kind: "rejected", reason: "invalid_credentials" });
      // The admin shows it in this realm only.
      expect(await f.admin.getCustomer(w.realm, view!.id)).toMatchObject({ id: view!.id, username: expect.stringMatching(new RegExp(username, "i")) });
      expect(await f.admin.getCustomer(world().realm, view!.id)).toBeUndefined();
    });

    it("MFA follows the bank: none at OPay", async () => {
      const w = world();
      const username = `opay_${ref("u").slice(4, 14)}`;
      const [view] = await f.admin.createCustomers(w.realm, [customer(BANKS.opay, username)]);
      const conn = w.conn(BANKS.opay);
      const profile = profileOf(BANKS.opay);
      expect(profile.mfa).toBe("none");
      const method = profile.loginMethods.includes("mobile_banking") ? "mobile_banking" : profile.loginMethods[0]!;
      const result = await conn.startLogin({ credentials: { method, identifier: view!.phone, secret: secret("Secret-pass-1") } });
      expect(result.status).toBe("connected");
    });

    it("type corp gives a corporate identity without BVN and corporate accounts", async () => {
      const w = world();
      const username = `corp_${ref("u").slice(4, 14)}`;
      const [view] = await f.admin.createCustomers(w.realm, [customer(BANKS.zenith, username, { type: "corp", name: "Okoro Ventures Ltd", noOfAccount: 2 })]);
      expect(view!.accounts).toHaveLength(2);
      const conn = w.conn(BANKS.zenith);
      const first = await conn.startLogin(ib(username, "Secret-pass-1"));
      const corpMfa = profileOf(BANKS.zenith).corporateMfa;
      if (corpMfa === "none") expect(first.status).toBe("connected");
      else expect(first.status === "mfa_required" && first.challenge.kind).toBe(corpMfa);
      const { session } = await login(conn, username, "Secret-pass-1");
      const identity = await conn.getIdentity({ session });
      expect(identity.kind).toBe("corporate");
      expect(identity.fullName).toBe("Okoro Ventures Ltd");
      expect(identity.bvn).toBeUndefined();
      expect(identity.rcNumber).toMatch(/\S/);
      const accounts = await conn.listAccounts({ session });
      expect(accounts).toHaveLength(2);
      expect(accounts.some((a) => a.type === "corporate")).toBe(true);
      for (const a of accounts) {
        expect(["corporate", "current", "domiciliary"]).toContain(a.type); // never a personal savings account
        expect(a.bvn).toBeUndefined();
      }
    });

    it("low identity completeness gives fewer identity fields", async () => {
      const w = world();
      const full = `full_${ref("u").slice(4, 14)}`;
      const thin = `thin_${ref("u").slice(4, 14)}`;
      await f.admin.createCustomers(w.realm, [customer(BANKS.gtbank, full, { identity: 100 }), customer(BANKS.gtbank, thin, { identity: 5 })]);
      const conn = w.conn(BANKS.gtbank);
      const count = (o: object) => Object.values(o).filter((v) => v !== undefined && !(Array.isArray(v) && v.length === 0)).length;
      const idFull = await conn.getIdentity({ session: (await login(conn, full, "Secret-pass-1")).session });
      const idThin = await conn.getIdentity({ session: (await login(conn, thin, "Secret-pass-1")).session });
      expect(count(idThin)).toBeLessThan(count(idFull));
      expect(idThin.fullName).toMatch(/\S/);
    });

    it("a taken username (case-insensitive) or a bad input is refused", async () => {
      const w = world();
      const username = `dup_${ref("u").slice(4, 14)}`;
      await f.admin.createCustomers(w.realm, [customer(BANKS.gtbank, username)]);
      await expect(f.admin.createCustomers(w.realm, [customer(BANKS.gtbank, username.toUpperCase())])).rejects.toThrow();
      await expect(f.admin.createCustomers(w.realm, [customer(BANKS.gtbank, `x_${username}`, { noOfAccount: 6 })])).rejects.toThrow();
      // The same username at another bank is fine.
      await f.admin.createCustomers(w.realm, [customer(BANKS.zenith, username)]);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe("secrets never print", () => {
    const shows = (value: unknown) => [JSON.stringify(value), String(value), `${value as string}`, inspect(value, { depth: 20, showHidden: true })].join("\n");

    it("a LoginResult hides the session token", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      for (const who of ["okro_good", "okro_otp"]) {
        const result = await conn.startLogin(ib(who));
        const token = result.session.token.reveal();
        expect(token.length).toBeGreaterThanOrEqual(16);
        const out = shows(result);
        expect(out).not.toContain(token);
        expect(out).not.toContain(MAGIC.password);
        expect(out).toContain("[redacted]");
      }
    });

    it("a DebitRequest hides the OTP, PIN and session token", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const { session } = await login(conn, "okro_good");
      const token = session.token.reveal();
      const req: DebitRequest = {
        session,
        accountId: "0123456789",
        amount: 100,
        currency: "NGN",
        reference: "r1",
        narration: "n",
        authorization: { otp: secret("918273"), pin: secret("5647") },
      };
      const out = shows(req);
      for (const s of [token, "918273", "5647"]) expect(out).not.toContain(s);
    });

    it("ConnectorErrors carry no password, OTP, PIN or token, on either side of the wire", async () => {
      const w = world();
      const conn = w.conn(BANKS.gtbank);
      const leaks = ["Hunter2-Pa55word", "918273", "5647"];
      const errors: ConnectorError[] = [];
      errors.push(await caught(conn.startLogin(ib("okro_good", leaks[0]))));
      const otp = await conn.startLogin(ib("okro_otp"));
      if (otp.status !== "mfa_required") throw new Error("expected MFA");
      const otpToken = otp.session.token.reveal();
      errors.push(await caught(conn.answerMfa({ session: otp.session, answer: secret("918273") })));
      const { session } = await login(conn, "okro_good");
      const token = session.token.reveal();
      const account = await firstAccount(conn, session);
      const base = { session, accountId: account.id, amount: 100, currency: "NGN", reference: ref("s"), narration: "n" };
      errors.push(await caught(conn.debit({ ...base, authorization: { otp: secret("918273") } })));
      errors.push(await caught(conn.debit({ ...base, reference: ref("s"), authorization: { pin: secret("5647") } })));
      await w.advance(31 * MINUTE);
      errors.push(await caught(conn.listAccounts({ session })));
      for (const err of errors) {
        expect(err).toBeInstanceOf(ConnectorError);
        const out = [shows(err), err.message, err.stack ?? "", JSON.stringify(err.toJSON())].join("\n");
        for (const s of [...leaks, token, otpToken]) expect(out, `${err.reason}`).not.toContain(s);
      }
    });
  });

  function customer(bankId: string, username: string, over: Partial<CustomerInput> = {}): CustomerInput {
    return {
      bankId,
      username,
      password: "Secret-pass-1",
      type: "ind",
      volume: "medium",
      identity: 100,
      noOfAccount: 1,
      internetSpeed: 3,
      ...over,
    };
  }
});
