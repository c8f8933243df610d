import type { FastifyReply, FastifyRequest, FastifySchemaCompiler } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AppContext } from "../../context.js";
import { tenantScope } from "../../http/api-auth.js";
import { ok } from "../../core/envelope.js";
import { notFound, OkroError } from "../../core/errors.js";
import { runOutsideTransaction, type MutationResult } from "../../http/idempotency.js";
import { paginate } from "../../core/paging.js";
import { validatorCompiler } from "../../http/validation.js";
import { ALIAS_OF } from "../../http/openapi.js";
import {
  AdvanceClockBody,
  BanksBody,
  BanksResponse,
  bankView,
  ClearFaultsBody,
  ClockBody,
  ClockResponse,
  clockView,
  CreateCustomersBody,
  CustomerResponse,
  CustomersResponse,
  customerInput,
  customersOf,
  customerView,
  FaultsResponse,
  faultsView,
  GenerateCustomersBody,
  GenerateCustomersResponse,
  generatedInputView,
  GetCustomerBody,
  GetFaultsBody,
  ListCustomersBody,
  ListCustomersResponse,
  SandboxCustomerInput,
  SetFaultsBody,
  SetFaultsResponse,
  type SandboxCustomer,
  withBracketedFields,
  WrappedCustomers,
} from "./schemas.js";
import { admin, advanceSandboxClock, assertSandboxBanks, viewsOf } from "./controls.js";

const tags = ["Sandbox"];
const SANDBOX_KEYS_ONLY = "Sandbox secret keys only: a production key gets 403 `SANDBOX_ONLY`.";
const doc = (summary: string, description: string) => ({ tags, summary, description: `${description}\n\n${SANDBOX_KEYS_ONLY}` });

/**
 * Route-level validator of {@link CreateCustomersBody}. A zod union would answer a bad item with
 * "body: Invalid input"; instead each shape is validated by the project's own validator (so form
 * bodies are coerced and missing fields are "is required") against the schema of that shape, and
 * array positions are named as `customers[1].username`. Returns the body in the shape it came
 * in; the handler normalises it with {@link customersOf}.
 */
const createCustomersValidator: FastifySchemaCompiler<unknown> = (route) => {
  const list = validatorCompiler({ ...route, schema: WrappedCustomers });
  const one = validatorCompiler({ ...route, schema: SandboxCustomerInput });
  type Result = { value?: unknown; error?: Error };
  return (data: unknown) => {
    if (route.httpPart !== "body") return { value: data };
    const isList = Array.isArray(data);
    const isWrapped = !isList && typeof data === "object" && data !== null && "customers" in data;
    const result = (isList ? list({ customers: data }) : isWrapped ? list(data) : one(data)) as Result;
    if (result.error) return { error: result.error instanceof OkroError ? withBracketedFields(result.error) : result.error };
    return { value: isList ? (result.value as { customers: unknown }).customers : result.value };
  };
};

/**
 * The sandbox bank network's controls over HTTP: Okra's sandbox customer API
 * (`/v2/sandbox/customers/*`, what okra-node 0.2.0's `Sandbox` client calls) and Okro's admin
 * API (banks, faults, clock). Every route acts on the caller's own sandbox world: the realm is
 * the key's company. Mounted under every API prefix like any module; on plain `/v2` (where a
 * production key is otherwise welcome) the hook below refuses production keys.
 */
export const sandboxRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.addHook("onRequest", async (req) => {
    if (req.tenant.env !== "sandbox") {
      throw new OkroError(
        "SANDBOX_ONLY",
        "The sandbox API (customers, banks, faults, clock) acts on your sandbox only: call it with your sandbox secret key (sk_test_…)",
      );
    }
  });
  const realmOf = (req: FastifyRequest) => req.tenant.companyId;

  // -- Okra's sandbox customers -----------------------------------------------------------------

  // okra-node's Sandbox client posts `customers/create` and `customers/generate` under its base.
  // With the recommended base, `/v2/` (the key decides the environment), that is
  // `/v2/customers/create|generate`: nothing else lives there, so they are served there too (and
  // under `/sandbox/v2/`). Under `/v2/sandbox/` these paths already are the routes below.
  // `customers/list|get` are not: there they are the account-data customers (decision 0009).
  const createPaths = app.prefix === "/v2/sandbox" ? ["/sandbox/customers/create"] : ["/sandbox/customers/create", "/customers/create"];
  const generatePaths = app.prefix === "/v2/sandbox" ? ["/sandbox/customers/generate"] : ["/sandbox/customers/generate", "/customers/generate"];

  for (const path of createPaths) app.post(
    path,
    {
      schema: {
        ...doc(
          "Create sandbox customers",
          `Okra's \`sandbox/customers/create\`: test customers you log in with in the sandbox widget. All are created or none; a username already used at that bank in your sandbox is 409 \`CONFLICT\`.${createPaths.includes("/customers/create") ? " Also served at `customers/create`, where okra-node's `Sandbox.createCustomer` posts with the base URL `/v2/`." : ""}`,
        ),
        ...(path === "/customers/create" ? { [ALIAS_OF]: `${app.prefix}/sandbox/customers/create` } : {}),
        body: CreateCustomersBody,
        response: { 200: CustomersResponse },
      },
      validatorCompiler: createCustomersValidator,
    },
    async (req, reply) => {
      const { customers, single } = customersOf(req.body);
      // A single object's errors name its bare fields (`username`), as it was posted.
      const rename = single ? (field: string) => field.replace(/^customers\[0\]\./, "") : (field: string) => field;
      assertSandboxBanks(ctx, customers.map((c, i) => [c.bank, rename(`customers[${i}].bank`)]));
      return sandboxMutation(ctx, req, reply, async () => {
        const created = await admin(() => ctx.sandbox.createCustomers(realmOf(req), customers.map(customerInput)), rename);
        return { body: ok("Sandbox customers created successfully", { customers: created.map(customerView) }) };
      });
    },
  );

  app.post(
    "/sandbox/customers/list",
    {
      schema: {
        ...doc(
          "List sandbox customers",
          "Okra's `sandbox/customers/list`: the customers you created (newest first), then the built-in ones every sandbox has (magic credentials and generated residents, with their passwords).",
        ),
        body: ListCustomersBody,
        response: { 200: ListCustomersResponse },
      },
    },
    async (req) => {
      const { page, limit } = req.body;
      const { customers, total } = await admin(() => ctx.sandbox.listCustomers(realmOf(req), page, limit));
      return ok("Sandbox customers retrieved successfully", { customers: customers.map(customerView), pagination: paginate(total, page, limit) });
    },
  );

  app.post(
    "/sandbox/customers/get",
    {
      schema: {
        ...doc("Get one sandbox customer", "Okra's `sandbox/customers/get`: a customer of your sandbox (created or built-in) by id."),
        body: GetCustomerBody,
        response: { 200: CustomerResponse },
      },
    },
    async (req) => {
      const customer = await admin(() => ctx.sandbox.getCustomer(realmOf(req), req.body.customer));
      if (!customer) throw notFound("Sandbox customer");
      return ok("Sandbox customer retrieved successfully", { customer: customerView(customer) });
    },
  );

  for (const path of generatePaths) app.post(
    path,
    {
      schema: {
        ...doc(
          "Generate sandbox customers",
          `Okra's \`sandbox/customers/generate\`: random customers at random sandbox banks. With \`create: false\` (default) nothing is created: the answer is the inputs, passwords included — change what you like and post \`data\` to \`customers/create\`. With \`create: true\` they are created now and their passwords are shown in this response only (an Idempotency-Key replay omits them). Only \`create: true\` has an effect, so only it takes an Idempotency-Key.${generatePaths.includes("/customers/generate") ? " Also served at `customers/generate`, where okra-node's `Sandbox.generateCustomers` posts with the base URL `/v2/`." : ""}`,
        ),
        ...(path === "/customers/generate" ? { [ALIAS_OF]: `${app.prefix}/sandbox/customers/generate` } : {}),
        body: GenerateCustomersBody,
        response: { 200: GenerateCustomersResponse },
      },
    },
    async (req, reply) => {
      const { number, create } = req.body;
      if (!create) {
        // No effect, so no Idempotency-Key: and the passwords in it are not stored anywhere.
        const inputs = await admin(() => ctx.sandbox.generateCustomers(realmOf(req), number));
        return ok("Sandbox customers generated; post data to customers/create to create them", { customers: inputs.map(generatedInputView) });
      }
      return sandboxMutation(ctx, req, reply, async () => {
        const inputs = await admin(() => ctx.sandbox.generateCustomers(realmOf(req), number));
        const created = (await admin(() => ctx.sandbox.createCustomers(realmOf(req), inputs))).map(customerView);
        const passwordOf = new Map(inputs.map((i) => [`${i.bankId}|${i.username.toLowerCase()}`, i.password]));
        const withPasswords: SandboxCustomer[] = created.map((c) => ({ ...c, password: passwordOf.get(`${c.bank}|${c.username.toLowerCase()}`) }));
        return {
          body: ok("Sandbox customers generated and created successfully", { customers: withPasswords }),
          // Passwords are shown once; a replay (stored for 24 h) says what happened without them.
          replayAs: {
            statusCode: 200,
            body: ok("Sandbox customers generated and created successfully (replayed: passwords are shown only in the first response)", {
              customers: created,
            }),
          },
        };
      });
    },
  );

  // -- Okro's admin API: banks, faults, clock ---------------------------------------------------

  const banks = {
    ...doc(
      "List the sandbox banks and their habits",
      "Every bank of the sandbox network with its login methods, second factors, latency, maintenance window and daily limits (Okro extension).",
    ),
    response: { 200: BanksResponse },
  };
  const listBanks = async () => ok("Sandbox banks retrieved successfully", { banks: ctx.sandbox.banks().map(bankView) });
  app.get("/sandbox/banks", { schema: banks }, listBanks);
  app.post("/sandbox/banks", { schema: { ...banks, body: BanksBody } }, listBanks);

  app.post(
    "/sandbox/faults/get",
    {
      schema: {
        ...doc("Get the fault settings of your sandbox banks", "The banks of your sandbox that have fault settings (Okro extension)."),
        body: GetFaultsBody,
        response: { 200: FaultsResponse },
      },
    },
    async (req) => {
      const { bank } = req.body;
      if (bank !== undefined) assertSandboxBanks(ctx, [[bank, "bank"]]);
      const faults = await admin(() => ctx.sandbox.getFaults(realmOf(req)));
      return ok("Sandbox faults retrieved successfully", { faults: viewsOf(ctx, faults.filter((f) => bank === undefined || f.bankId === bank)) });
    },
  );

  app.post(
    "/sandbox/faults/set",
    {
      schema: {
        ...doc(
          "Set a sandbox bank's faults",
          "Replaces one bank's fault settings in your sandbox: latency, error/timeout/lost-response/pending rates, rate limit, downtime, mandate activation delay, limited to some operations (Okro extension). `settings: {}` is no fault.",
        ),
        body: SetFaultsBody,
        response: { 200: SetFaultsResponse },
      },
    },
    async (req, reply) => {
      const { bank, settings } = req.body;
      assertSandboxBanks(ctx, [[bank, "bank"]]);
      return sandboxMutation(ctx, req, reply, async () => {
        const saved = await admin(() => ctx.sandbox.setFaults(realmOf(req), bank, settings));
        return { body: ok("Sandbox faults set successfully", { faults: viewsOf(ctx, [saved])[0]! }) };
      });
    },
  );

  app.post(
    "/sandbox/faults/clear",
    {
      schema: {
        ...doc("Clear sandbox faults", "Removes the fault settings of one bank, or of every bank when `bank` is absent (Okro extension)."),
        body: ClearFaultsBody,
        response: { 200: FaultsResponse },
      },
    },
    async (req, reply) => {
      const { bank } = req.body;
      if (bank !== undefined) assertSandboxBanks(ctx, [[bank, "bank"]]);
      return sandboxMutation(ctx, req, reply, async () => {
        await admin(() => ctx.sandbox.clearFaults(realmOf(req), bank));
        const left = await admin(() => ctx.sandbox.getFaults(realmOf(req)));
        return { body: ok("Sandbox faults cleared successfully", { faults: viewsOf(ctx, left) }) };
      });
    },
  );

  app.post(
    "/sandbox/clock/get",
    {
      schema: {
        ...doc("Get your sandbox's clock", "Your sandbox's time: real time plus the offset you advanced it by (Okro extension)."),
        body: ClockBody,
        response: { 200: ClockResponse },
      },
    },
    async (req) => ok("Sandbox clock retrieved successfully", { clock: clockView(await admin(() => ctx.sandbox.getClock(realmOf(req)))) }),
  );

  app.post(
    "/sandbox/clock/advance",
    {
      schema: {
        ...doc(
          "Advance your sandbox's clock",
          "Moves your sandbox's time forward by `ms`, or to the instant `to` (plus the moments the request took). Time never goes back. Expires sessions and challenges, activates mandates, settles pending transfers, unlocks logins, adds history and brings your pending sandbox webhook retries and payment work (re-queries, settlements, consent activations, refunds, payouts) forward by as much (Okro extension).",
        ),
        body: AdvanceClockBody,
        response: { 200: ClockResponse },
      },
    },
    async (req, reply) => {
      const { ms, to } = req.body;
      return sandboxMutation(ctx, req, reply, async () => {
        const clock = await advanceSandboxClock(ctx, realmOf(req), ms !== undefined ? { ms } : { to: to! });
        return { body: ok("Sandbox clock advanced successfully", { clock: clockView(clock) }) };
      });
    },
  );
};

/**
 * Honours Idempotency-Key for a sandbox admin effect. The admin commits its own transaction (and
 * may live in another process, `okro sandbox-bank`), so it cannot join the key's transaction as
 * `mutate` effects do: the key is reserved first instead (see `runOutsideTransaction`).
 */
function sandboxMutation<T>(ctx: AppContext, req: FastifyRequest, reply: FastifyReply, effect: () => Promise<MutationResult & { body: T }>): Promise<T> {
  return runOutsideTransaction(ctx, req, reply, tenantScope(req.tenant), effect) as Promise<T>;
}
