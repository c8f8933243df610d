import { sql, type Kysely } from "kysely";

// Issue 13 (docs/decisions/0027): a consent made for one mandate is bound to it; business-day rolling.
//
// 1. `payment_consents.standing`: whether the consent is a standing "charges on request" authority
//    (the widget's payment consent, seeded consents) — true — or was given for one specific mandate
//    (a widget mandate, a garnish sweep consent, `mandates/create` + authorise, a recurring link) —
//    false, with `bound_mandate_id` naming that mandate. Only a standing consent gets a standing
//    mandate (`source = 'consent'`) and allows one-off debits (`pay/initiate`, bulk rows).
//    Existing data: a consent is bound when a mandate made by a mandate flow (`source` api, widget,
//    link, reauth) uses it and the consent was created during that mandate's own authorisation —
//    from five minutes before the mandate was created up to when it was authorised (`mandates/create`
//    writes the mandate, then the customer authorises it, creating the consent; a recurring link
//    creates the consent a moment before its mandate). A consent given earlier (the connect
//    flow, seeded, a returning customer's) stays standing. The extra standing mandate such a bound
//    consent got is ended `cancelled` (`state_reason` `consent_bound_to_mandate`), with a history
//    row; no event is sent (a migration sends none; the mandate allowed nothing the customer saw).
// 2. `mandates.business_days`: `next | previous | none` — a scheduled charge falling on a weekend or
//    Nigerian public holiday moves to the next (or previous) business day. Mandates written before
//    this keep `none` (their dates were the ones authorised); new ones default to `next`.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE payment_consents ADD COLUMN standing boolean NOT NULL DEFAULT true;
    ALTER TABLE payment_consents ADD COLUMN bound_mandate_id text;

    UPDATE payment_consents c
       SET standing = false,
           bound_mandate_id = b.mandate_id
      FROM (
        SELECT DISTINCT ON (c2.id) c2.id AS consent_id, m.id AS mandate_id
          FROM payment_consents c2
          JOIN mandates m ON m.consent_id = c2.id
         WHERE m.source IN ('api', 'widget', 'link', 'reauth')
           AND c2.created_at >= m.created_at - interval '5 minutes'
           AND c2.created_at <= COALESCE(m.authorised_at, m.created_at) + interval '1 minute'
         ORDER BY c2.id, m.created_at, m.id
      ) b
     WHERE c.id = b.consent_id;

    INSERT INTO state_transitions (object_type, object_id, from_state, to_state, actor, reason, detail, at)
    SELECT 'mandate', m.id, m.state, 'cancelled', 'worker', 'consent_bound_to_mandate', jsonb_build_object('consent', m.consent_id, 'mandate', c.bound_mandate_id), now()
      FROM mandates m
      JOIN payment_consents c ON c.id = m.consent_id
     WHERE m.source = 'consent' AND c.standing = false AND m.state IN ('awaiting_bank', 'active', 'paused');

    UPDATE mandates m
       SET state = 'cancelled', state_reason = 'consent_bound_to_mandate', ended_at = now(), updated_at = now()
      FROM payment_consents c
     WHERE c.id = m.consent_id AND m.source = 'consent' AND c.standing = false AND m.state IN ('awaiting_bank', 'active', 'paused');

    ALTER TABLE mandates ADD COLUMN business_days text NOT NULL DEFAULT 'none' CHECK (business_days IN ('next', 'previous', 'none'));
    ALTER TABLE mandates ALTER COLUMN business_days SET DEFAULT 'next';
  `.execute(db);
}
