/**
 * `data.reason` on the payments API's refusals: a closed list (issue 12 item 6), so a client can
 * switch on it. Every refusal names its reason through {@link refusal}, which accepts only these;
 * the API description (src/app.ts) lists them with their meaning. Adding one is adding it here.
 */
export const PAYMENT_REFUSAL_REASONS = {
  unsupported_currency: "the currency is not one Okro collects or pays out in (NGN only)",
  currency_mismatch: "the account holds another currency than the request's",
  unknown_account: "no such account of this customer",
  account_not_connected: "the customer did not share this account",
  no_consent: "no active payment consent (mandate) on the account (Okra code 1027)",
  consent_bound_to_mandate: "the account's consent was given for one mandate only (`data.authorization`), not for debits on request (decision 0027)",
  above_consent_limit: "the amount is above the consent's limit per debit",
  no_receiving_account: "no receiving account of yours to credit",
  authorising: "the customer is authorising this payment now",
  not_awaiting_authorisation: "the payment is not waiting for the customer's authorisation",
  no_account: "the payment has no account to debit yet",
  not_cancellable: "the payment was already sent to the bank or has ended",
  not_reversible: "the payment is not in a state a reversal applies to",
  changed: "the payment changed meanwhile; try again",
  not_refundable: "the payment has not succeeded, so there is nothing to refund",
  exceeds_refundable: "more than is left to refund on the payment (`data.refundable`)",
  insufficient_available: "your available balance does not cover it (`data.available`)",
  unknown_bank: "not a bank Okro can pay into in this environment",
} as const;

export type PaymentRefusalReason = keyof typeof PAYMENT_REFUSAL_REASONS;

/** An OkroError's `data` for a payments refusal: its reason from the closed list, and any detail. */
export function refusal<X extends Record<string, unknown>>(reason: PaymentRefusalReason, detail?: X): { reason: PaymentRefusalReason } & X {
  return { reason, ...(detail as X) };
}
