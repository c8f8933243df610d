import type { PageDef } from "../registry.js";
import { authPages } from "./auth.js";
import { homePages } from "./home.js";
import { keysPages } from "./developers-keys.js";
import { accountPages } from "./account.js";
import { teamPages } from "./team.js";
import { accessPages } from "./access.js";
import { auditPages } from "./audit.js";
import { linkPages } from "./links.js";
import { moneyPages } from "./money.js";
import { paymentPages } from "./payments.js";
import { sandboxPages } from "./sandbox.js";
import { webhookPages } from "./developers-webhooks.js";
import { eventPages } from "./developers-events.js";
import { requestLogPages } from "./developers-requests.js";
import { appPages } from "./developers-apps.js";
import { mandatePages } from "./mandates.js";
import { customerPages } from "./customers.js";
import { bulkPages } from "./bulk.js";
import { garnishmentPages } from "./garnishments.js";

/**
 * Every dashboard page. Add yours: a file in this folder exporting `PageDef[]`, one import and
 * one spread below (in your own block, so parallel work merges without conflicts).
 */
export const pages: PageDef[] = [
  // Getting started, team, payment access, developers (wt-dash).
  ...authPages,
  ...homePages,
  ...keysPages,
  ...accountPages,
  ...teamPages,
  ...accessPages,
  ...auditPages,

  // Payments, links, money, sandbox tools (wt-dash2): add below.
  ...paymentPages,
  ...linkPages,
  ...moneyPages,
  ...sandboxPages,

  // Developers: webhooks, events, request log, apps (wt-devpages).
  ...webhookPages,
  ...eventPages,
  ...requestLogPages,
  ...appPages,
  // Mandates, bulk uploads, customers (wt-pages).
  ...mandatePages,
  ...customerPages,
  ...bulkPages,
  // Garnishments (wt-dash).
  ...garnishmentPages,
];
