import type {} from "@fastify/cookie";
import type { FastifyReply } from "fastify";
import type { Config } from "../config.js";
import { SESSION_COOKIE, SESSION_TTL_MS } from "./domain.js";

/** The dashboard session cookie's options: HttpOnly, SameSite=Lax, Secure behind https. */
export function sessionCookieOptions(config: Pick<Config, "publicUrl">) {
  const secure = config.publicUrl?.startsWith("https:") ?? false;
  return { httpOnly: true, sameSite: "lax" as const, path: "/", secure };
}

/** Starts a dashboard session in the browser (login, signup, an accepted invitation). */
export function setSessionCookie(config: Pick<Config, "publicUrl">, reply: FastifyReply, session: { token: string }): void {
  reply.setCookie(SESSION_COOKIE, session.token, { ...sessionCookieOptions(config), maxAge: Math.floor(SESSION_TTL_MS / 1000) });
}

/** Sign-in-like attempts (login, signup, reset, invitations) per client address per window. */
export const AUTH_ATTEMPTS_PER_WINDOW = 10;
export const AUTH_WINDOW_MS = 60_000;
export const authLimit = { rateLimit: { max: AUTH_ATTEMPTS_PER_WINDOW, timeWindow: AUTH_WINDOW_MS } };
