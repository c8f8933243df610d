import type { Migration } from "kysely";
import * as m0001 from "./0001_platform.js";
import * as m0002 from "./0002_dashboard_access.js";
import * as m0003 from "./0003_sandbox_bank.js";
import * as m0004 from "./0004_events_webhooks.js";
import * as m0005 from "./0005_account_data_widget.js";
import * as m0006 from "./0006_customer_flags.js";
import * as m0007 from "./0007_payments.js";
import * as m0008 from "./0008_refund_fee_return.js";
import * as m0009 from "./0009_record_login_key.js";
import * as m0010 from "./0010_signin_guards.js";
import * as m0011 from "./0011_jobs.js";
import * as m0012 from "./0012_state_transitions.js";
import * as m0013 from "./0013_mandates.js";
import * as m0014 from "./0014_batches.js";
import * as m0015 from "./0015_payments_on_jobs.js";
import * as m0016 from "./0016_webhook_delivery_jobs.js";
import * as m0017 from "./0017_dashboard_team_access.js";
import * as m0020 from "./0020_dashboard_payments.js";
import * as m0021 from "./0021_garnishments.js";
import * as m0022 from "./0022_mandates_from_widget.js";
import * as m0023 from "./0023_mandates_rest.js";
import * as m0024 from "./0024_bulk_reversals_mandates.js";
import * as m0026 from "./0026_api_request_log.js";
import * as m0027 from "./0027_consents_bound_business_days.js";
import * as m0029 from "./0029_bulk_mandate_charges.js";
import * as m0032 from "./0032_list_indexes.js";

/**
 * Every migration, in order. Versioned files, imported statically so the same list works under
 * tsx, in a bundle and in tests. Add a file, then add it here; never edit a released one.
 */
export const migrations: Record<string, Migration> = {
  "0001_platform": m0001,
  "0002_dashboard_access": m0002,
  "0003_sandbox_bank": m0003,
  "0004_events_webhooks": m0004,
  "0005_account_data_widget": m0005,
  "0006_customer_flags": m0006,
  "0007_payments": m0007,
  "0008_refund_fee_return": m0008,
  "0009_record_login_key": m0009,
  "0010_signin_guards": m0010,
  "0011_jobs": m0011,
  "0012_state_transitions": m0012,
  "0013_mandates": m0013,
  "0014_batches": m0014,
  "0015_payments_on_jobs": m0015,
  "0016_webhook_delivery_jobs": m0016,
  "0017_dashboard_team_access": m0017,
  "0020_dashboard_payments": m0020,
  "0021_garnishments": m0021,
  "0022_mandates_from_widget": m0022,
  "0023_mandates_rest": m0023,
  "0024_bulk_reversals_mandates": m0024,
  "0026_api_request_log": m0026,
  "0027_consents_bound_business_days": m0027,
  "0029_bulk_mandate_charges": m0029,
  "0032_list_indexes": m0032,
};
