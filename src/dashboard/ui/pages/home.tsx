import { useState } from "preact/hooks";
import { get } from "../api.js";
import { Loading, Notice, PageHeader, Secretish, useLoad } from "../components.js";
import { href, type PageDef } from "../registry.js";
import { useSession } from "../session.js";
import { takeFreshCredentials } from "./auth.js";

/** The home page: the keys signup just made (once), then the getting-started checklist. */
function HomePage() {
  const { me } = useSession();
  const [fresh] = useState(takeFreshCredentials);
  const [checklist, error] = useLoad(() => get<{ steps: Step[] }>("/onboarding").then((r) => r.data.steps), []);
  const left = checklist?.filter((s) => !s.done).length ?? 0;
  return (
    <>
      <PageHeader title={me.company.name} />
      {fresh && (
        <Notice kind="warning">
          <h2>Your sandbox keys</h2>
          <p>The secret key is shown only now: copy it and keep it on your server. You can rotate it any time under Developers → API keys.</p>
          <dl class="keys">
            <dt>Secret key</dt>
            <dd>
              <Secretish value={fresh.sandbox.secret_key} label="sandbox secret key" />
            </dd>
            <dt>Public key</dt>
            <dd>
              <Secretish value={fresh.sandbox.public_key} label="sandbox public key" />
            </dd>
          </dl>
        </Notice>
      )}
      <section class="card">
        <h2>Getting started{checklist ? ` (${checklist.length - left} of ${checklist.length} done)` : ""}</h2>
        {error && <Notice kind="error">{error}</Notice>}
        {!checklist && !error && <Loading />}
        {checklist && (
          <ol class="checklist">
            {checklist.map((s) => (
              <li key={s.id} class={s.done ? "done" : undefined}>
                <span class="mark" aria-hidden="true">
                  {s.done ? "✓" : ""}
                </span>
                <span>
                  <strong>
                    <a href={href(s.href)}>{s.title}</a>
                  </strong>{" "}
                  <span class="sr-only">{s.done ? "(done)" : "(to do)"}</span>
                  <br />
                  <span class="hint">{s.detail}</span>
                </span>
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

interface Step {
  id: string;
  title: string;
  done: boolean;
  detail: string;
  href: string;
}

export const homePages: PageDef[] = [{ path: "/", title: "Home", component: HomePage, nav: { section: "Home", label: "Getting started", order: 0 } }];
