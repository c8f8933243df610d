import { z } from "zod";
import { envelope } from "../core/envelope.js";
import { PageParams, Pagination } from "../core/paging.js";
import { ID_PATTERN } from "../lib/ids.js";
import {
  APP_NAME_MAX,
  BANK_SLUG_PATTERN,
  COLOR_PATTERN,
  isHttpUrl,
  logoProblem,
  MAX_ROTATION_GRACE_SECONDS,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  PRODUCTS,
  URL_MAX_LENGTH,
} from "./domain.js";

/**
 * The platform module's HTTP contract: dashboard (users, sessions, keys, apps) and the
 * `/v2/apps/*` extension. Mutating bodies are strict: an unknown field is a 400 naming it.
 */

export const Id = z.string().regex(ID_PATTERN, "must be a 24-character hex id");
export const EnvParam = z.enum(["sandbox", "production"]).meta({ description: "Which environment's data" });
const WireEnv = z.enum(["production", "production-sandbox"]).meta({ description: "Okra's spelling of the environment" });

// ---------------------------------------------------------------------------------------------
// Users and sessions
// ---------------------------------------------------------------------------------------------

const Email = z
  .string()
  .trim()
  .max(254, "must be at most 254 characters")
  .pipe(z.email("must be an email address"))
  .transform((e) => e.toLowerCase());
const NewPassword = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);

export const SignupBody = z.strictObject({
  // 100, like an app name: the company's first apps are named after it.
  company_name: z.string().trim().min(1, "must not be empty").max(APP_NAME_MAX, `must be at most ${APP_NAME_MAX} characters`),
  name: z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters"),
  email: Email,
  password: NewPassword,
});

export const LoginBody = z.strictObject({
  // Not format-checked: a login only asks "does this match", and its answer must not vary.
  email: z.string().min(1, "must not be empty").max(254, "must be at most 254 characters"),
  password: z.string().min(1, "must not be empty").max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`),
});

export const EmptyBody = z.strictObject({});

export const User = z
  .object({ id: z.string(), email: z.string(), name: z.string(), role: z.enum(["owner", "admin", "developer", "viewer"]), created_at: z.string() })
  .meta({ id: "DashboardUser" });
export const Company = z.object({ id: z.string(), name: z.string(), created_at: z.string() }).meta({ id: "DashboardCompany" });

const Credentials = z
  .object({
    secret_key: z.string().meta({ description: "sk_test_… / sk_live_…: for your server. Shown only now." }),
    public_key: z.string().meta({ description: "pk_test_… / pk_live_…: the widget's `key`. Shown only now." }),
    token: z.string().meta({ description: "Client token: the widget's `token`" }),
    app_id: z.string().meta({ description: "The environment's first app: the widget's `app_id`" }),
  })
  .meta({ id: "EnvironmentCredentials" });

export const SignupResponse = envelope(
  z.object({ user: User, company: Company, credentials: z.object({ sandbox: Credentials, production: Credentials }) }),
);
export const LoginResponse = envelope(z.object({ user: User, company: Company }));
export const LogoutResponse = envelope(z.object({}));

export const ApiKey = z
  .object({
    id: z.string(),
    env: EnvParam,
    kind: z.enum(["secret", "public"]),
    display_prefix: z.string().meta({ description: "The key's first characters, to tell keys apart (never the key)" }),
    created_at: z.string(),
    expires_at: z.string().nullable().meta({ description: "Set when a rotation gave the key a grace period" }),
    revoked_at: z.string().nullable(),
    active: z.boolean(),
  })
  .meta({ id: "ApiKey" });

const EnvironmentView = z.object({
  env: EnvParam,
  wire_env: WireEnv,
  client_token: z.string().meta({ description: "The widget's `token` (not a secret)" }),
  keys: z.array(ApiKey),
});
export const MeResponse = envelope(
  z.object({ user: User, company: Company, environments: z.object({ sandbox: EnvironmentView, production: EnvironmentView }) }),
);

// ---------------------------------------------------------------------------------------------
// Keys and client tokens
// ---------------------------------------------------------------------------------------------

export const ListKeysQuery = z.object({ env: EnvParam.optional() });
export const ListKeysResponse = envelope(z.object({ keys: z.array(ApiKey) }));

export const RotateKeyBody = z.strictObject({
  env: EnvParam,
  kind: z.enum(["secret", "public"]),
  grace_seconds: z
    .number()
    .int("must be a whole number of seconds")
    .min(0, "must be at least 0")
    .max(MAX_ROTATION_GRACE_SECONDS, `must be at most ${MAX_ROTATION_GRACE_SECONDS} (7 days)`)
    .default(0)
    .meta({ description: "How long the current key keeps working (0: revoked at once)" }),
});
export const RotateKeyResponse = envelope(
  z.object({
    key: ApiKey.extend({ key: z.string().meta({ description: "The new key in clear: shown only in this response" }) }),
    retired_key_ids: z.array(z.string()),
    retired_at: z.string().meta({ description: "When the retired keys stop (or stopped) working" }),
  }),
);

export const RevokeKeyBody = z.strictObject({ id: Id });
export const RevokeKeyResponse = envelope(z.object({ key: ApiKey }));

export const RotateClientTokenBody = z.strictObject({ env: EnvParam });
export const RotateClientTokenResponse = envelope(z.object({ env: EnvParam, client_token: z.string() }));

// ---------------------------------------------------------------------------------------------
// Apps
// ---------------------------------------------------------------------------------------------

const AppName = z.string().trim().min(1, "must not be empty").max(APP_NAME_MAX, `must be at most ${APP_NAME_MAX} characters`);
const Products = z
  .array(z.enum(PRODUCTS))
  .max(PRODUCTS.length * 2, "too many entries")
  .meta({ description: `Any of ${PRODUCTS.join(", ")}; auth is always included` });
const Color = z.string().regex(COLOR_PATTERN, "must be a hex colour, #rgb or #rrggbb");
const Logo = z
  .string()
  .superRefine((value, check) => {
    const problem = logoProblem(value);
    if (problem) check.addIssue({ code: "custom", message: problem });
  })
  .meta({ description: "An https URL, or a data:image/(png|jpeg|gif|webp);base64 URL of at most 100 KB" });
const BankFilter = z
  .array(z.string().max(64).regex(BANK_SLUG_PATTERN, "must be a bank slug (see /v2/banks/list)"))
  .max(200, "too many banks")
  .meta({ description: "Only these banks are offered in the widget (slugs from the bank directory); empty: all" });
const HttpUrl = z
  .string()
  .max(URL_MAX_LENGTH, `must be at most ${URL_MAX_LENGTH} characters`)
  .refine((v) => isHttpUrl(v), "must be an http(s) URL");

const appFields = {
  name: AppName,
  products: Products.optional(),
  logo: Logo.nullable().optional(),
  color: Color.optional(),
  bank_filter: BankFilter.optional(),
  callback_url: HttpUrl.nullable().optional().meta({ description: "Webhook URL for this app's events" }),
  redirect_url: HttpUrl.nullable().optional().meta({ description: "Where the widget sends the user when done" }),
};
const appPatchFields = { ...appFields, name: AppName.optional() };

/** `/v2/apps/*`: the key decides the environment. */
export const CreateAppBody = z.strictObject(appFields);
export const UpdateAppBody = z.strictObject({ id: Id, ...appPatchFields });
export const AppIdBody = z.strictObject({ id: Id });
export const GetAppBody = z.object({ id: Id });
export const ListAppsBody = z.object({ page: PageParams.page, limit: PageParams.limit });

/** Dashboard: the same, with the environment named. */
export const DashboardCreateAppBody = z.strictObject({ env: EnvParam, ...appFields });
export const DashboardUpdateAppBody = z.strictObject({ env: EnvParam, id: Id, ...appPatchFields });
export const DashboardAppIdBody = z.strictObject({ env: EnvParam, id: Id });
export const DashboardListAppsQuery = z.object({ env: EnvParam, page: PageParams.page, limit: PageParams.limit });
export const DashboardGetAppParams = z.object({ id: Id });
export const DashboardGetAppQuery = z.object({ env: EnvParam });

export const App = z
  .object({
    _id: z.string(),
    id: z.string(),
    app_id: z.string().meta({ description: "Same as id: what the widget takes as `app_id`" }),
    owner: z.string().meta({ description: "Your company id" }),
    name: z.string(),
    env: WireEnv,
    products: z.array(z.enum(PRODUCTS)),
    logo: z.string().nullable(),
    color: z.string(),
    bank_filter: z.array(z.string()),
    callback_url: z.string().nullable(),
    redirect_url: z.string().nullable(),
    short_url: z.string().meta({ description: "Short link code: `buildWithShortUrl({short_url})` or `<widget origin>/<short_url>`" }),
    created_at: z.string(),
    last_updated: z.string(),
  })
  .meta({ id: "App" });
export const AppResponse = envelope(z.object({ app: App }));
export const ListAppsResponse = envelope(z.object({ apps: z.array(App), pagination: Pagination }));

