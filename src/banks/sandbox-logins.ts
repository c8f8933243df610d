/**
 * The magic credentials every sandbox bank accepts (DESIGN.md §4.4). Printed in the start
 * banner and README, shown as a hint in the sandbox widget; the sandbox bank network
 * implements them.
 */
export const SANDBOX_LOGINS = [
  { username: "okro_good", password: "pass_good", outcome: "logs in" },
  { username: "okro_otp", password: "pass_good", outcome: "asked for an OTP: 123456" },
  { username: "okro_question", password: "pass_good", outcome: "asked a security question: answer okro" },
  // The sandbox bank refuses okro_locked before it looks at the password (engine.ts startLogin).
  { username: "okro_locked", password: "(any password)", outcome: "account locked, whatever the password" },
  { username: "okro_corp", password: "pass_good", outcome: "a corporate customer (banks with corporate banking)" },
  { username: "okro_good", password: "(anything else)", outcome: "invalid credentials" },
] as const;

export const SANDBOX_PAYMENT_AUTH = { otp: "123456", pin: "1234" } as const;

/** The magic users' password and the answers to their login challenges (what the sandbox banks check). */
export const SANDBOX_MAGIC = { password: "pass_good", otp: "123456", securityAnswer: "okro" } as const;
