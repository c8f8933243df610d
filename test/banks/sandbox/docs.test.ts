import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SANDBOX_BANKS } from "../../../src/banks/sandbox/profiles.js";

const LOGIN = { internet_banking: "username + password", mobile_banking: "phone + PIN", account_number: "account number + PIN" } as const;
const MFA = { sms_otp: "SMS OTP", hardware_token: "hardware token", security_question: "security question", none: "none" } as const;

/** The table of banks docs/sandbox-bank.md shows, from the profiles themselves. */
export function banksTable(): string {
  const rows = SANDBOX_BANKS.map((b) => {
    const second = `${MFA[b.mfa]}${b.corporate && b.corporateMfa !== b.mfa ? ` (corporate: ${MFA[b.corporateMfa]})` : ""}`;
    return `| ${b.name} | ${b.cbnCode} | ${b.loginMethods.map((m) => LOGIN[m]).join(", ")} | ${second} | ${b.corporate ? "yes" : "no"} |`;
  });
  return ["| bank | CBN code | login methods | second factor | corporate |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}

describe("docs/sandbox-bank.md", () => {
  it("lists every sandbox bank with its code, login methods and second factor, as the network has them", () => {
    const doc = fs.readFileSync(path.resolve(import.meta.dirname, "../../../docs/sandbox-bank.md"), "utf8");
    // On failure, replace the table under "## The banks" with this one.
    expect(doc).toContain(banksTable());
  });
});
