import fs from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { Browser, BrowserContext, Frame, FrameLocator, Locator, Page } from "playwright-core";
import { expect } from "vitest";
import { buildWidgetApp } from "../../src/widget-app.js";
import type { SandboxBankProfile } from "../../src/banks/sandbox/types.js";
import { ManualClock } from "../../src/lib/clock.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { launch } from "./chromium.js";
import { startMerchantServer, type MerchantCall, type MerchantServer, type MerchantSetup } from "./merchant-page.js";

/**
 * Shared setup of the widget's end-to-end tests: Okro in-process (the widget app listening on a
 * free 127.0.0.1 port; the API app reached through `inject`, as a merchant's server would call
 * it), on a ManualClock so tests can move time for session and MFA expiry, with its own sandbox
 * bank network on that clock so tests can inject faults; a merchant page on its own origin; and
 * one Chromium for the whole file.
 *
 * Every test makes its own company (a fresh sandbox realm: its own faults, its own customers).
 */

export const ARTIFACTS_DIR = path.resolve(import.meta.dirname, "../../test-artifacts/widget");
export const PHONE = { width: 360, height: 740 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;
/** Playwright's wait for any one action or element: a screen that is not there in 10 s is a failure, not a slow test. */
const ACTION_TIMEOUT_MS = 10_000;

const AXE_PATH = path.resolve(import.meta.dirname, "../../node_modules/axe-core/axe.min.js");
let axeSource: string | undefined;

/** The sandbox's security questions (src/banks/sandbox/engine.ts); which one a person gets is seeded. */
export const SECURITY_QUESTIONS = [
  "What is the name of your first school?",
  "What is your mother's maiden name?",
  "In which town were you born?",
  "What was the name of your first pet?",
] as const;

export const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export interface Tenant extends NewCompany {
  /** The sandbox app's short link code. */
  shortUrl: string;
}

export interface WidgetWorld {
  h: Harness;
  clock: ManualClock;
  widget: FastifyInstance;
  widgetOrigin: string;
  merchant: MerchantServer;
  browser: Browser;
  newTenant(name?: string): Promise<Tenant>;
  bank(name: string): SandboxBankProfile;
  /** `POST <route>` on the API with the tenant's sandbox secret key (Okra envelope parsed). */
  api(tenant: Tenant, route: string, body: unknown): Promise<{ status: number; body: any }>;
  /** Opens the merchant page in a fresh browser context and presses its button. */
  open(tenant: Tenant, options: OpenOptions): Promise<WidgetPage>;
  /** Opens a widget URL (a short link) as a whole page, in a fresh browser context. */
  openFullPage(url: string, options: { flow: string; viewport?: { width: number; height: number } }): Promise<WidgetPage>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Screenshot name prefix, e.g. "otp". */
  flow: string;
  loader?: MerchantSetup["loader"];
  baseUrl?: string | null;
  /** Merchant options besides key/token/app_id/env (e.g. customer, options, products). */
  options?: Record<string, unknown>;
  /** Replace key/token/app_id (invalid-key tests). */
  credentials?: { key?: string; token?: string; app_id?: string };
  viewport?: { width: number; height: number };
  /** Hold these widget API paths (e.g. "/api/sessions") until released, to see in-between screens. */
  hold?: string[];
}

export interface WorldOptions {
  /** The products merchant pages ask for unless a test says otherwise. */
  products?: string[];
}

export async function startWidgetWorld(worldOptions: WorldOptions = {}): Promise<WidgetWorld> {
  const clock = new ManualClock();
  const h = await createHarness({ clock });
  const opened: Array<() => Promise<unknown>> = [() => h.close()];
  let widget: FastifyInstance, merchant: MerchantServer, browser: Browser;
  try {
    widget = await buildWidgetApp(h.ctx, { logger: false });
    opened.unshift(() => widget.close());
    await widget.listen({ port: 0, host: "127.0.0.1" });
    merchant = await startMerchantServer();
    opened.unshift(() => merchant.close());
    browser = await launch();
  } catch (error) {
    for (const close of opened) await close().catch(() => {});
    throw error;
  }
  const widgetOrigin = `http://127.0.0.1:${(widget.server.address() as AddressInfo).port}`;
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const banks = h.ctx.sandbox.banks();

  const world: WidgetWorld = {
    h,
    clock,
    widget,
    widgetOrigin,
    merchant,
    browser,
    async newTenant(name = "Adaeze Lending") {
      const company = await h.newTenant(name);
      const app = await h.ctx.db.selectFrom("apps").select("short_url").where("id", "=", company.sandbox.app_id).executeTakeFirstOrThrow();
      return { ...company, shortUrl: app.short_url };
    },
    bank(name) {
      const found = banks.find((b) => b.name === name);
      if (!found) throw new Error(`no sandbox bank named ${name}`);
      return found;
    },
    async api(tenant, route, body) {
      const res = await h.request({ method: "POST", url: route, headers: bearer(tenant.sandbox.secret_key), payload: body as object });
      let parsed: unknown;
      try {
        parsed = res.json();
      } catch {
        parsed = res.body;
      }
      return { status: res.statusCode, body: parsed };
    },
    async open(tenant, options) {
      const setup: MerchantSetup = {
        loader: options.loader ?? "okra-js",
        widgetOrigin,
        options: {
          key: tenant.sandbox.public_key,
          token: tenant.sandbox.token,
          app_id: tenant.sandbox.app_id,
          env: "production-sandbox",
          products: worldOptions.products ?? ["auth", "balance", "transactions", "identity"],
          ...options.credentials,
          ...options.options,
        },
        title: tenant.name,
      };
      if (options.baseUrl !== undefined) setup.baseUrl = options.baseUrl;
      const url = merchant.page(setup);
      const context = await browser.newContext({ viewport: options.viewport ?? PHONE });
      context.setDefaultTimeout(ACTION_TIMEOUT_MS);
      const page = await context.newPage();
      const wp = new WidgetPage(widgetOrigin, context, page, options.flow, options.viewport ?? PHONE);
      for (const p of options.hold ?? []) await wp.hold(p);
      await page.goto(url);
      await page.getByRole("button", { name: "Link your bank account" }).click();
      return wp;
    },
    async openFullPage(url, options) {
      const context = await browser.newContext({ viewport: options.viewport ?? PHONE });
      context.setDefaultTimeout(ACTION_TIMEOUT_MS);
      const page = await context.newPage();
      const wp = new WidgetPage(widgetOrigin, context, page, options.flow, options.viewport ?? PHONE, true);
      await page.goto(url);
      return wp;
    },
    async close() {
      await browser.close().catch(() => {});
      await merchant.close().catch(() => {});
      await widget.close().catch(() => {});
      await h.close();
    },
  };
  return world;
}

/** Where the widget's elements are found: the loader's iframe, or the page in full-page mode. */
export type WidgetRoot = Pick<FrameLocator, "getByRole" | "getByLabel" | "getByText" | "locator">;

interface Held {
  release(): void;
  /** Resolves when a request reached the hold. */
  reached: Promise<void>;
}

/** One merchant page with the widget open in it, in its own browser context. */
export class WidgetPage {
  private shots = 0;
  private readonly holds = new Map<string, Held>();
  readonly console: string[] = [];
  /** Every widget API call the frame made: "METHOD /api/… → status". */
  readonly apiLog: string[] = [];
  /** Every URL the browser asked for (page, loader, widget, its assets and API). */
  readonly requested: string[] = [];

  constructor(
    /** Okro's widget origin, e.g. `http://127.0.0.1:41234`. */
    readonly widgetOrigin: string,
    readonly context: BrowserContext,
    readonly page: Page,
    readonly flow: string,
    private viewport: { width: number; height: number },
    /** The widget is the page itself (short links), not an iframe in a merchant page. */
    readonly fullPage = false,
  ) {
    // This flow's screenshots from an earlier run would mislead whoever looks at the folder.
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    for (const file of fs.readdirSync(ARTIFACTS_DIR)) if (file.startsWith(`${flow}-`)) fs.rmSync(path.join(ARTIFACTS_DIR, file));
    page.on("console", (msg) => {
      if (msg.type() === "error" || msg.type() === "warning") this.console.push(`${msg.type()}: ${msg.text()}`);
    });
    page.on("pageerror", (error) => this.console.push(`pageerror: ${error.message}`));
    context.on("request", (req) => void this.requested.push(req.url()));
    page.on("response", (res) => {
      const u = new URL(res.url());
      if (res.url().startsWith(widgetOrigin) && u.pathname.startsWith("/api/")) {
        const timing = res.request().timing();
        this.apiLog.push(`${res.request().method()} ${u.pathname} → ${res.status()} (${Math.round(timing.responseStart)} ms)`);
      }
    });
  }

  /** The widget: the iframe the loader opened on the widget origin (any loader's id), or the page itself when full-page. */
  get frame(): WidgetRoot {
    return this.fullPage ? this.page : this.page.frameLocator(`iframe[src^="${this.widgetOrigin}/"]`);
  }

  /** The loader's iframe element on the merchant page. */
  get iframe(): Locator {
    return this.page.locator(`iframe[src^="${this.widgetOrigin}/"]`);
  }

  /** The widget's Frame object (for evaluate/axe). */
  async widgetFrame(): Promise<Frame> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const frame = this.page.frames().find((f) => f !== this.page.mainFrame() && f.url().startsWith(this.widgetOrigin));
      if (frame) return frame;
      if (this.page.url().startsWith(this.widgetOrigin)) return this.page.mainFrame();
      if (Date.now() > deadline) throw new Error(`no widget frame on ${this.page.url()}; frames: ${this.page.frames().map((f) => f.url()).join(", ")}`);
      await this.page.waitForTimeout(50);
    }
  }

  heading(name: string | RegExp): Locator {
    return this.frame.getByRole("heading", { name, level: 1 });
  }

  /** Waits for the screen whose h1 is `name`. */
  async waitForScreen(name: string | RegExp, timeout = 10_000): Promise<void> {
    try {
      await this.heading(name).waitFor({ timeout });
    } catch (error) {
      throw new Error(`${this.flow}: screen ${String(name)} did not appear.\n${await this.describe()}`, { cause: error });
    }
  }

  /** What is on screen now, for failure messages. */
  async describe(): Promise<string> {
    const frame = await this.widgetFrame().catch(() => null);
    const text = frame ? await frame.locator("body").innerText({ timeout: 2_000 }).catch((e: Error) => `(unreadable: ${e.message})`) : "(no widget frame)";
    return [
      `widget text: ${text.replace(/\s+/g, " ").slice(0, 800)}`,
      `api: ${this.apiLog.join("; ")}`,
      `console: ${this.console.join(" | ").slice(0, 1500)}`,
    ].join("\n");
  }

  /** Every callback the merchant page received so far. */
  async calls(): Promise<MerchantCall[]> {
    return this.page.evaluate(() => (window as unknown as { __calls: MerchantCall[] }).__calls);
  }

  async waitForCall(type: MerchantCall["type"], timeout = 10_000): Promise<MerchantCall> {
    try {
      await this.page.waitForFunction((t) => (window as unknown as { __calls: MerchantCall[] }).__calls.some((c) => c.type === t), type, { timeout });
    } catch (error) {
      throw new Error(`${this.flow}: the merchant page's on${type[0]!.toUpperCase()}${type.slice(1)} never fired; calls: ${JSON.stringify(await this.calls()).slice(0, 1500)}\n${await this.describe()}`, { cause: error });
    }
    return (await this.calls()).find((c) => c.type === type)!;
  }

  /** Holds requests to `<widget origin><path>` until `release(path)`. */
  async hold(apiPath: string): Promise<void> {
    let release!: () => void;
    let reach!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const reached = new Promise<void>((r) => (reach = r));
    this.holds.set(apiPath, { release, reached });
    await this.context.route(`${this.widgetOrigin}${apiPath}`, async (route) => {
      reach();
      await gate;
      await route.continue().catch(() => {});
    });
  }

  async reached(apiPath: string): Promise<void> {
    await this.holds.get(apiPath)!.reached;
  }

  release(apiPath: string): void {
    this.holds.get(apiPath)?.release();
  }

  /**
   * What every screen gets: axe-core in the widget frame (no serious or critical violations;
   * they are printed in the failure message) and a screenshot, at the phone viewport and, when
   * asked, at desktop size too.
   */
  async check(screen: string, options: { desktop?: boolean } = {}): Promise<void> {
    await this.axe(screen);
    await this.screenshot(screen, options);
  }

  async screenshot(screen: string, options: { desktop?: boolean } = {}): Promise<void> {
    this.shots += 1;
    const base = `${this.flow}-${String(this.shots).padStart(2, "0")}-${screen}`;
    const tag = this.viewport.width >= 1000 ? "desktop" : "phone";
    await this.page.screenshot({ path: path.join(ARTIFACTS_DIR, `${base}-${tag}.png`) });
    if (options.desktop && tag === "phone") {
      const phone = this.viewport;
      await this.page.setViewportSize(DESKTOP);
      await this.page.waitForTimeout(100);
      await this.page.screenshot({ path: path.join(ARTIFACTS_DIR, `${base}-desktop.png`) });
      await this.page.setViewportSize(phone);
      await this.page.waitForTimeout(50);
    }
  }

  async axe(screen: string): Promise<void> {
    const frame = await this.widgetFrame();
    axeSource ??= fs.readFileSync(AXE_PATH, "utf8");
    const loaded = await frame.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === "object");
    if (!loaded) await frame.evaluate(axeSource);
    const violations = await frame.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: any[] }> } }).axe;
      const result = await axe.run(document, { resultTypes: ["violations"] });
      return result.violations.map((v) => ({
        id: v.id as string,
        impact: v.impact as string,
        help: v.help as string,
        nodes: (v.nodes as Array<{ target: unknown; failureSummary?: string }>).map((n) => `${JSON.stringify(n.target)}: ${n.failureSummary ?? ""}`),
      }));
    });
    const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    const report = serious.map((v) => `- [${v.impact}] ${v.id}: ${v.help}\n    ${v.nodes.join("\n    ")}`).join("\n");
    expect(serious, `${this.flow}: axe found serious/critical violations on the "${screen}" screen:\n${report}`).toEqual([]);
  }

  async close(): Promise<void> {
    for (const held of this.holds.values()) held.release();
    await this.context.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Flow steps (the screens the front-end was asked to render; see the brief in the test files)
// ---------------------------------------------------------------------------------------------

/** Bank list: search, then the bank's button (its accessible name starts with the bank name). */
export async function chooseBank(w: WidgetPage, bank: string, options: { check?: boolean; desktop?: boolean } = {}): Promise<void> {
  await w.waitForScreen("Select your bank");
  if (options.check) await w.check("banks", { desktop: options.desktop });
  await w.frame.getByLabel("Search banks").fill(bank);
  const button = bankButton(w, bank);
  if (options.check) await w.check("banks-search");
  await button.click();
}

export function bankButton(w: WidgetPage, bank: string): Locator {
  return w.frame.getByRole("button", { name: new RegExp(`^${escapeRegExp(bank)}`) });
}

/** Login method, when the bank offers several; skipped when the widget goes straight to credentials. */
export async function chooseMethod(
  w: WidgetPage,
  bank: string,
  method: "Internet banking" | "Mobile app" | "Account number" | null,
  options: { check?: boolean; desktop?: boolean } = {},
): Promise<void> {
  if (method === null) return;
  await w.waitForScreen(`How do you log in to ${bank}?`);
  if (options.check) await w.check("method", { desktop: options.desktop });
  await w.frame.getByRole("button", { name: method }).click();
}

export async function logIn(
  w: WidgetPage,
  bank: string,
  creds: { identifier: string; secret: string; identifierLabel?: string; secretLabel?: string },
  options: { check?: boolean; desktop?: boolean } = {},
): Promise<void> {
  await w.waitForScreen(`Log in to ${bank}`);
  if (options.check) {
    await expect(w.frame.getByRole("heading", { name: "Sandbox credentials" }).isVisible()).resolves.toBe(true);
    await w.check("credentials", { desktop: options.desktop });
  }
  await w.frame.getByLabel(creds.identifierLabel ?? "Username", { exact: true }).fill(creds.identifier);
  await w.frame.getByLabel(creds.secretLabel ?? "Password", { exact: true }).fill(creds.secret);
  if (options.check) await w.screenshot("credentials-filled");
  await w.frame.getByRole("button", { name: "Log in" }).click();
}

export type MfaLabel = "One-time password" | "Token code" | "question";

export function mfaInput(w: WidgetPage, label: MfaLabel): Locator {
  return label === "question"
    ? w.frame.getByLabel(new RegExp(SECURITY_QUESTIONS.map(escapeRegExp).join("|")))
    : w.frame.getByLabel(label, { exact: true });
}

export async function answerMfa(w: WidgetPage, label: MfaLabel, answer: string, options: { check?: boolean; desktop?: boolean } = {}): Promise<void> {
  await w.waitForScreen("Verify it's you");
  if (options.check) await w.check(`mfa-${label === "question" ? "question" : label === "Token code" ? "token" : "otp"}`, { desktop: options.desktop });
  await mfaInput(w, label).fill(answer);
  await w.frame.getByRole("button", { name: "Verify" }).click();
}

/** Account selection: ticks the accounts (all by default) and continues. Returns their names. */
export async function chooseAccounts(w: WidgetPage, options: { check?: boolean; desktop?: boolean; count?: number } = {}): Promise<string[]> {
  await w.waitForScreen("Choose accounts to share");
  const boxes = w.frame.getByRole("checkbox");
  const total = await boxes.count();
  expect(total, "the accounts screen lists at least one account").toBeGreaterThan(0);
  const names: string[] = [];
  for (let i = 0; i < total; i++) {
    const box = boxes.nth(i);
    const name = (await box.getAttribute("aria-label")) ?? (await box.evaluate((el) => (el as HTMLInputElement).labels?.[0]?.textContent ?? ""));
    names.push(name.trim());
    // As a person does it: click the account's label (the whole row is its click target).
    const want = i < (options.count ?? total);
    if ((await box.isChecked()) !== want) await w.frame.locator("label", { hasText: name.trim() }).click();
    await expect(box.isChecked(), `account ${name} ${want ? "ticked" : "unticked"}`).resolves.toBe(want);
  }
  for (const name of names) expect(name, "each account is named '{name} ••••{last4}'").toMatch(/ ••••\d{4}$/);
  if (options.check) await w.check("accounts", { desktop: options.desktop });
  await w.frame.getByRole("button", { name: "Continue" }).click();
  return names;
}

export async function consent(w: WidgetPage, company: string, options: { check?: boolean; desktop?: boolean } = {}): Promise<void> {
  await w.waitForScreen(`Share your data with ${company}`);
  if (options.check) await w.check("consent", { desktop: options.desktop });
  await w.frame.getByRole("button", { name: "Allow" }).click();
}

export async function waitForSuccess(w: WidgetPage, options: { check?: boolean; desktop?: boolean } = {}): Promise<void> {
  await w.waitForScreen("Account connected", 20_000);
  if (options.check) await w.check("success", { desktop: options.desktop });
}

/** The error alert: waits until it says `text`, and returns it. */
export async function expectAlert(w: WidgetPage, text: string | RegExp, timeout = 10_000): Promise<Locator> {
  const alert = w.frame.getByRole("alert").filter({ hasText: text });
  try {
    await alert.first().waitFor({ timeout });
  } catch (error) {
    throw new Error(`${w.flow}: no alert saying ${String(text)}.\n${await w.describe()}`, { cause: error });
  }
  return alert.first();
}

/** The connection Okro stored for a customer, straight from the tables (what the API will read). */
export async function storedConnection(world: WidgetWorld, tenant: Tenant, customerId: string) {
  const db = world.h.ctx.db;
  const records = await db.selectFrom("records").selectAll().where("company_id", "=", tenant.id).where("customer_id", "=", customerId).execute();
  const accounts = await db.selectFrom("accounts").selectAll().where("company_id", "=", tenant.id).where("customer_id", "=", customerId).execute();
  const auths = await db.selectFrom("auths").selectAll().where("company_id", "=", tenant.id).where("customer_id", "=", customerId).execute();
  return { records, accounts, auths };
}

/** Ordered subsequence check: every name of `expected` appears in `actual`, in this order. */
export function isSubsequence(expected: readonly string[], actual: readonly string[]): boolean {
  let i = 0;
  for (const a of actual) if (a === expected[i]) i++;
  return i === expected.length;
}
