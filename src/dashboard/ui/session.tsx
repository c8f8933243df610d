import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Env, Me, Role } from "./api.js";

/** What every page can read: who is signed in, the environment picked in the header, and a refresh. */
export interface Session {
  me: Me;
  env: Env;
  setEnv: (env: Env) => void;
  /** Reloads `me` (after a rotation, a role change…). */
  refresh: () => Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

/** The session; only pages that are not `public` may call it (the shell renders them signed in). */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside a signed-in page");
  return s;
}

const RANK: Record<Role, number> = { viewer: 0, developer: 1, admin: 2, owner: 3 };

/** True when `role` may do what `needed` may (owner > admin > developer > viewer). The server decides; this only hides buttons. */
export const roleAtLeast = (role: Role, needed: Role) => RANK[role] >= RANK[needed];

/** Always there, signed in or not: lets a public page (sign-up, invitation) start the session. */
export const ShellContext = createContext<{ signedIn: () => Promise<void> }>({ signedIn: async () => {} });
