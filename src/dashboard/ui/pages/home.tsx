import { useState } from "preact/hooks";
import { Notice, PageHeader, Secretish } from "../components.js";
import type { PageDef } from "../registry.js";
import { useSession } from "../session.js";
import { takeFreshCredentials } from "./auth.js";

/** The home page: the keys signup just made (once), then the getting-started checklist. */
function HomePage() {
  const { me } = useSession();
  const [fresh] = useState(takeFreshCredentials);
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
    </>
  );
}

export const homePages: PageDef[] = [{ path: "/", title: "Home", component: HomePage, nav: { section: "Home", label: "Getting started", order: 0 } }];
