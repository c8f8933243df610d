import type { BrowserContext } from "playwright-core";
import { SESSION_COOKIE } from "../../src/platform/domain.js";

/**
 * Puts the session a sign-up (made by `h.request` from its own address) answered with into the
 * browser, so a page opens signed in. Tests whose subject is not sign-in use it: every sign-in typed
 * into a page comes from 127.0.0.1, and the files one test worker runs share its database and so
 * the per-address limit of 10 sign-ins a minute.
 */
export async function useSession(context: BrowserContext, base: string, signup: { cookies: ReadonlyArray<{ name: string; value: string }> }): Promise<void> {
  const cookie = signup.cookies.find((c) => c.name === SESSION_COOKIE);
  if (!cookie) throw new Error("the sign-up set no session cookie");
  await context.addCookies([{ name: SESSION_COOKIE, value: cookie.value, url: base }]);
}
