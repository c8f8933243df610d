import { randomBytes, randomUUID } from "node:crypto";
import type { InjectOptions } from "fastify";
import { expect } from "vitest";
import { SESSION_COOKIE } from "../../src/platform/domain.js";
import type { Answer } from "../http/envelope-assertions.js";
import type { Harness } from "../harness.js";

/**
 * A browser, as far as the dashboard API can tell: a client address, a session cookie, JSON
 * bodies. Every client gets its own random address, because login and signup are rate-limited
 * per address and the test database (and its rate-limit counters) is shared by every test file
 * in a worker (and, on PostgreSQL, by earlier runs).
 */
export const uniqueEmail = () => `user-${randomUUID()}@Example.COM`;
export const uniqueIp = () => `10.${randomBytes(3).join(".")}`;
export const PASSWORD = "correct horse battery";

export interface SignupInput {
  company_name: string;
  name: string;
  email: string;
  password: string;
}

export class DashboardClient {
  cookie: string | undefined;
  constructor(
    readonly h: Harness,
    readonly ip: string = uniqueIp(),
  ) {}

  /** A request under /dashboard/api with this client's address and cookie; bodies are JSON. */
  send(method: InjectOptions["method"], path: string, payload?: unknown, headers: Record<string, string> = {}): Promise<Answer & InjectResponseExtras> {
    const options: InjectOptions = {
      method,
      url: `/dashboard/api${path}`,
      remoteAddress: this.ip,
      headers: {
        ...(this.cookie ? { cookie: `${SESSION_COOKIE}=${this.cookie}` } : {}),
        ...(payload !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
    };
    if (payload !== undefined) options.payload = typeof payload === "string" ? payload : JSON.stringify(payload);
    return this.h.request(options) as never;
  }

  get(path: string, headers?: Record<string, string>) {
    return this.send("GET", path, undefined, headers);
  }

  post(path: string, payload: unknown = {}, headers?: Record<string, string>) {
    return this.send("POST", path, payload, headers);
  }

  /** Keeps the session cookie a response sets (or drops it when the response clears it). */
  remember(res: InjectResponseExtras): void {
    const set = res.cookies.find((c) => c.name === SESSION_COOKIE);
    if (!set) return;
    this.cookie = set.value && set.maxAge !== 0 ? set.value : undefined;
  }

  async signup(overrides: Partial<SignupInput> = {}) {
    const input: SignupInput = { company_name: "Acme Lending", name: "Ada Obi", email: uniqueEmail(), password: PASSWORD, ...overrides };
    const res = await this.post("/signup", input);
    this.remember(res);
    return { res, input };
  }

  async login(email: string, password: string) {
    const res = await this.post("/login", { email, password });
    this.remember(res);
    return res;
  }
}

export interface InjectCookie {
  name: string;
  value: string;
  path?: string;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: string;
  maxAge?: number;
  expires?: Date;
}
export interface InjectResponseExtras {
  cookies: InjectCookie[];
}

/** A signed-up client and what signup returned (user, company, both environments' credentials). */
export async function signedUp(h: Harness, overrides: Partial<SignupInput> = {}) {
  const client = new DashboardClient(h);
  const { res, input } = await client.signup(overrides);
  expect(res.statusCode, res.body).toBe(200);
  const data = res.json().data as {
    user: { id: string; email: string };
    company: { id: string; name: string };
    credentials: Record<"sandbox" | "production", { secret_key: string; public_key: string; token: string; app_id: string }>;
  };
  return { client, input, ...data };
}
