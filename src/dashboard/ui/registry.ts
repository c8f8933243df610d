import type { ComponentType } from "preact";
import type { Role } from "./api.js";

/**
 * A dashboard page: one file under `pages/` exports one (or a few) of these, and
 * `pages/index.ts` lists them. The shell routes `/dashboard<path>` to `component`, puts it in
 * the nav when `nav` is set, and renders it signed in (with `useSession()`) unless `public`.
 */
export interface PageDef {
  /** Under /dashboard: "/" is the home page, "/payments/:id" takes a param. */
  path: string;
  /** The document title and, by default, the nav label. */
  title: string;
  component: ComponentType<PageProps>;
  /** Shown in the side nav, in this section, ordered by `order`. */
  nav?: { section: NavSection; label?: string; order: number };
  /** Rendered without a session (sign-in, sign-up, password reset, invitations). */
  public?: boolean;
  /** Hidden from the nav for lower roles. Only a hint: the API is what enforces roles. */
  minRole?: Role;
}

export interface PageProps {
  /** Path params (":id"). */
  params: Record<string, string>;
  /** The query string (filters live there, so a URL can be shared and reloaded). */
  query: Record<string, string>;
}

/** Nav sections in the order they are shown. */
export const NAV_SECTIONS = ["Home", "Payments", "Customers", "Money", "Developers", "Sandbox", "Settings"] as const;
export type NavSection = (typeof NAV_SECTIONS)[number];

/** The URL of a dashboard page: `href("/payments", {status: "failed"})`. */
export function href(path: string, query: Record<string, string | number | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return `/dashboard${path === "/" ? "" : path}${s ? `?${s}` : ""}`;
}
