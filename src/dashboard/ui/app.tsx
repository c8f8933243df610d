import { createContext, type ComponentChildren } from "preact";
import { LocationProvider, Route, Router, useLocation } from "preact-iso";
import { useCallback, useContext, useEffect, useRef, useState } from "preact/hooks";
import { get, onSignedOut, post, type Env, type Me } from "./api.js";
import { pages } from "./pages/index.js";
import { SignInForm } from "./pages/auth.js";
import { NAV_SECTIONS, href, type PageDef, type PageProps } from "./registry.js";
import { SessionContext, ShellContext, roleAtLeast, type Session } from "./session.js";

/**
 * The shell: loads who is signed in, routes `/dashboard/*` to the registered pages, and lays
 * them out (header with the environment switch and the user, side nav that becomes a menu on a
 * phone, main). When the session ends mid-page the sign-in dialog opens over the page, which
 * stays mounted, so a half-filled form keeps what was typed.
 */

const ENV_KEY = "okro.dashboard.env";
const storedEnv = (): Env => {
  try {
    return localStorage.getItem(ENV_KEY) === "production" ? "production" : "sandbox";
  } catch {
    return "sandbox";
  }
};

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [expired, setExpired] = useState(false);
  const [env, setEnvState] = useState<Env>(storedEnv);
  const refresh = useCallback(async () => {
    try {
      setMe((await get<Me>("/me", { quiet401: true })).data);
    } catch {
      setMe(null);
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  useEffect(() => onSignedOut(() => setExpired(true)), []);
  const setEnv = (next: Env) => {
    setEnvState(next);
    try {
      localStorage.setItem(ENV_KEY, next);
    } catch {
      // Private mode: the choice lasts for this page only.
    }
  };
  const session: Session | null = me ? { me, env, setEnv, refresh } : null;

  return (
    <LocationProvider scope="/dashboard">
      <ShellContext.Provider value={{ signedIn: refresh }}>
      <SessionContext.Provider value={session}>
        <MeContext.Provider value={{ me, signedIn: refresh }}>
          <Routes />
        </MeContext.Provider>
        {expired && me && (
          <SessionExpired
            email={me.user.email}
            onSignedIn={async () => {
              const before = me.user.id;
              const again = (await get<Me>("/me", { quiet401: true })).data;
              setExpired(false);
              // Someone else signed in: nothing of the last person's page may stay on screen.
              if (again.user.id !== before) location.assign(href("/"));
              else setMe(again);
            }}
          />
        )}
      </SessionContext.Provider>
      </ShellContext.Provider>
    </LocationProvider>
  );
}

/**
 * Who is signed in, for the route components: `undefined` while the first `/me` is in flight,
 * null when nobody is. A context, not props: the router does not re-render its matched child
 * when the parent does.
 */
const MeContext = createContext<{ me: Me | null | undefined; signedIn: () => Promise<void> }>({ me: undefined, signedIn: async () => {} });

/** One stable component per page (a new function per render would remount the page and lose its state). */
const routeComponents = pages.map((def) => {
  const Routed = (props: PageProps) => <Gate def={def} props={props} />;
  Routed.displayName = `Page(${def.path})`;
  return { def, Routed };
});

function NotFoundRoute() {
  return <NotFound me={useContext(MeContext).me} />;
}

function Routes() {
  return (
    <Router>
      {[
        ...routeComponents.map(({ def, Routed }) => <Route key={def.path} path={def.path === "/" ? "/dashboard" : `/dashboard${def.path}`} component={Routed} />),
        <Route key="404" default component={NotFoundRoute} />,
      ]}
    </Router>
  );
}

function Gate({ def, props }: { def: PageDef; props: PageProps }) {
  const { me, signedIn: onSignedIn } = useContext(MeContext);
  useEffect(() => {
    document.title = `${def.title} · Okro`;
  }, [def.title]);
  if (me === undefined) return <p class="boot" role="status">Loading…</p>;
  const Page = def.component;
  const view = <Page params={props.params ?? {}} query={props.query ?? {}} />;
  if (def.public) return <Bare>{view}</Bare>;
  if (!me) {
    // Signing in here keeps the URL: the page asked for opens right after.
    return (
      <Bare>
        <section class="card narrow">
          <h1>Sign in</h1>
          <SignInForm onSignedIn={onSignedIn} />
          <p class="hint">
            New to Okro? <a href={href("/signup")}>Create an account</a> · <a href={href("/forgot-password")}>Forgot your password?</a>
          </p>
        </section>
      </Bare>
    );
  }
  return <Layout>{view}</Layout>;
}

function NotFound({ me }: { me: Me | null | undefined }) {
  const body = (
    <section class="card">
      <h1>Page not found</h1>
      <p>
        There is no dashboard page here. <a href={href("/")}>Go to the dashboard home</a>.
      </p>
    </section>
  );
  return me ? <Layout>{body}</Layout> : <Bare>{body}</Bare>;
}

/** Pages without a session: the brand and a centred column. */
function Bare({ children }: { children: ComponentChildren }) {
  return (
    <>
      <header class="topbar">
        <a class="brand" href={href("/")}>
          okro
        </a>
      </header>
      <main id="main" class="bare">
        {children}
      </main>
    </>
  );
}

function Layout({ children }: { children: ComponentChildren }) {
  const { me, env, setEnv } = useSessionStrict();
  const { path } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  useEffect(() => setMenuOpen(false), [path]);
  const visible = pages.filter((p) => p.nav && !p.public && (!p.minRole || roleAtLeast(me.user.role, p.minRole)));
  const current = (p: PageDef) => {
    const target = p.path === "/" ? "/dashboard" : `/dashboard${p.path}`;
    return path === target || (p.path !== "/" && path.startsWith(`${target}/`));
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <button type="button" class="menu-toggle" aria-expanded={menuOpen ? "true" : "false"} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <a class="brand" href={href("/")}>
          okro
        </a>
        <div class="env-switch" role="group" aria-label="Environment">
          {(["sandbox", "production"] as const).map((e) => (
            <button key={e} type="button" aria-pressed={env === e ? "true" : "false"} class={`env ${e}`} onClick={() => setEnv(e)}>
              {e === "sandbox" ? "Sandbox" : "Production"}
            </button>
          ))}
        </div>
        <div class="who">
          <span class="company">{me.company.name}</span>
          <span class="user">
            {me.user.name} · {me.user.role}
          </span>
        </div>
      </header>
      {env === "sandbox" && <div class="env-banner">Sandbox: test data, no real money moves.</div>}
      <div class="frame">
        <nav id="nav" aria-label="Dashboard" class={menuOpen ? "open" : undefined}>
          {NAV_SECTIONS.map((section) => {
            const items = visible.filter((p) => p.nav!.section === section).sort((a, b) => a.nav!.order - b.nav!.order);
            if (items.length === 0) return null;
            return (
              <div key={section} class="nav-section">
                <h2>{section}</h2>
                <ul>
                  {items.map((p) => (
                    <li key={p.path}>
                      {/* Closes the phone menu even when the link is the page already open (the path does not change). */}
                      <a href={href(p.path)} aria-current={current(p) ? "page" : undefined} onClick={() => setMenuOpen(false)}>
                        {p.nav!.label ?? p.title}
                      </a>
                    </li>
                  ))}
                </ul>
              </div>
            );
          })}
          <div class="nav-section">
            <SignOutButton />
          </div>
        </nav>
        <main id="main" ref={mainRef} tabIndex={-1}>
          {children}
        </main>
      </div>
    </>
  );
}

function SignOutButton() {
  return (
    <button
      type="button"
      class="link"
      onClick={async () => {
        try {
          await post("/logout", {}, { quiet401: true });
        } finally {
          location.assign(href("/"));
        }
      }}
    >
      Sign out
    </button>
  );
}

/** Layout is only rendered signed in. */
function useSessionStrict(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("Layout without a session");
  return s;
}

/** The sign-in dialog over a page whose session ended: the page underneath keeps its state. */
function SessionExpired({ email, onSignedIn }: { email: string; onSignedIn: () => Promise<void> }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={ref} class="card narrow" aria-labelledby="expired-title" onCancel={(e) => e.preventDefault()}>
      <h2 id="expired-title">Your session ended</h2>
      <p>Sign in again to carry on. What you typed on this page is kept.</p>
      <SignInForm email={email} onSignedIn={onSignedIn} />
    </dialog>
  );
}
