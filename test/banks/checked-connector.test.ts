import { describe, expect, it } from "vitest";
import { checkedConnector } from "../../src/banks/checked-connector.js";
import { ConnectorError, type BankBalance, type BankConnector, type BankTransaction } from "../../src/banks/connector.js";

/**
 * A bank's answers are input: an amount outside whole kobo 0…10^15 is a classified connector
 * error before Okro stores it. The bank here is a stand-in for a real bank's API (not a part Okro
 * ships): it answers what it is told to.
 */

function bankAnswering(balance: Partial<BankBalance>, lines: Array<Partial<BankTransaction>> = []): BankConnector {
  const unused = () => Promise.reject(new Error("not used by this test"));
  return {
    bankId: "5d6fe57a4099cc4b210bbeb3",
    startLogin: unused,
    answerMfa: unused,
    listAccounts: unused,
    getBalance: async (r) => ({ accountId: r.accountId, currency: "NGN", available: 100, ledger: 100, asOf: "2026-01-01T00:00:00Z", ...balance }),
    listTransactions: async () => ({
      transactions: lines.map((l, i) => ({
        id: `t${i}`,
        postedAt: "2026-01-01T00:00:00Z",
        type: "credit" as const,
        amount: 100,
        currency: "NGN",
        balance: 100,
        narration: "X",
        category: "other" as const,
        ...l,
      })),
      hasMore: false,
    }),
    getIdentity: unused,
    debit: unused,
    debitStatus: unused,
    credit: unused,
    creditStatus: unused,
    createMandate: unused,
    getMandate: unused,
    cancelMandate: unused,
    debitMandate: unused,
    mandateBalance: unused,
  };
}

const request = { session: { token: undefined as never, expiresAt: "" }, accountId: "0123456789" } as never;
const txRequest = { ...(request as object), from: "2026-01-01", to: "2026-01-31" } as never;

async function refusal(call: Promise<unknown>): Promise<ConnectorError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

describe("checkedConnector", () => {
  it("passes balances and lines within whole kobo 0…10^15 through unchanged", async () => {
    const bank = checkedConnector(bankAnswering({ available: 10 ** 15, ledger: 0 }, [{ amount: 10 ** 15, balance: 10 ** 15 }]));
    expect(await bank.getBalance(request)).toMatchObject({ available: 10 ** 15, ledger: 0 });
    expect((await bank.listTransactions(txRequest)).transactions[0]).toMatchObject({ amount: 10 ** 15, balance: 10 ** 15 });
  });

  it.each([
    ["available", { available: Number.MAX_SAFE_INTEGER }],
    ["available", { available: 10 ** 15 + 1 }],
    ["ledger", { ledger: -1 }],
    ["ledger", { ledger: 1.5 }],
    ["ledger", { ledger: Number.NaN }],
  ])("classifies a balance answer with an out-of-range %s as rejected / invalid_answer", async (_field, answer) => {
    const error = await refusal(checkedConnector(bankAnswering(answer)).getBalance(request));
    expect(error.kind).toBe("rejected");
    expect(error.reason).toBe("invalid_answer");
  });

  it.each([[{ amount: 2 ** 53 }], [{ amount: 0 }], [{ balance: 2 ** 60 }], [{ balance: -5 }]])(
    "classifies a transactions page with a line %j as rejected / invalid_answer",
    async (line) => {
      const error = await refusal(checkedConnector(bankAnswering({}, [{}, line])).listTransactions(txRequest));
      expect(error.kind).toBe("rejected");
      expect(error.reason).toBe("invalid_answer");
      expect(error.message).toMatch(/t1/);
    },
  );
});
