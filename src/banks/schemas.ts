import { z } from "zod";
import { PageParams, Pagination } from "../core/paging.js";
import { envelope } from "../core/envelope.js";
import { ID_PATTERN } from "../lib/ids.js";

export const BankId = z.string().regex(ID_PATTERN, "must be a 24-character hex id");

export const Bank = z
  .object({
    _id: z.string(),
    id: z.string(),
    name: z.string(),
    slug: z.string(),
    cbn_code: z.string().meta({ description: "CBN bank code (3 digits for banks; longer for MFBs and mobile money)" }),
    nip_code: z.string().meta({ description: "NIBSS NIP institution code (6 digits)" }),
    sortcode: z.string().meta({ description: "Same as cbn_code (Okra's name for it)" }),
    type: z.string(),
    country: z.string(),
    countries: z.array(z.string()),
    login_methods: z.array(z.enum(["internet_banking", "mobile_banking", "account_number"])),
    mfa_kinds: z.array(z.enum(["sms_otp", "hardware_token", "security_question", "none"])),
    isMFA: z.boolean(),
    mfaType: z.string(),
    products: z.array(z.string()),
    corp: z.boolean().meta({ description: "Corporate accounts supported" }),
    individual: z.boolean(),
    status: z.enum(["healthy", "degraded", "down"]).meta({ description: "degraded: slow or flaky, allowed; down: blocked" }),
    active: z.boolean(),
    colors: z.object({ primary: z.string(), accent: z.string() }),
    last_updated: z.string(),
  })
  .meta({ id: "Bank" });

/** The directory is short: unless asked otherwise, one page holds every bank. */
export const DIRECTORY_PAGE = 100;
export const ListBanksParams = z.object({
  page: PageParams.page,
  limit: PageParams.limit.unwrap().default(DIRECTORY_PAGE).meta({ description: `Items per page (default ${DIRECTORY_PAGE}: the whole directory)` }),
});
export const ListBanksResponse = envelope(z.object({ banks: z.array(Bank), pagination: Pagination }));

export const GetBankQuery = z.object({ id: BankId });
export const GetBankBody = z.object({ id: BankId });
export const GetBankResponse = envelope(z.object({ bank: Bank }));
