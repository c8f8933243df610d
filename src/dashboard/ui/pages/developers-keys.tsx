import { useState } from "preact/hooks";
import { post, shortDate, type KeyView } from "../api.js";
import { ConfirmButton, CopyButton, Notice, PageHeader, Secretish, Table } from "../components.js";
import type { PageDef } from "../registry.js";
import { roleAtLeast, useSession } from "../session.js";

/**
 * API keys and the client token of the environment picked in the header. A secret key is
 * shown once, when it is made (signup, rotation); the public key and the client token are not
 * secrets and are shown in full with a copy button.
 */
function KeysPage() {
  const { me, env, refresh } = useSession();
  const [issued, setIssued] = useState<{ env: string; kind: string; key: string } | null>(null);
  const environment = me.environments[env];
  const canManage = roleAtLeast(me.user.role, "developer");
  const live = environment.keys.filter((k) => k.active);

  const rotate = async (kind: "secret" | "public") => {
    const res = await post<{ key: KeyView & { key: string } }>("/keys/rotate", { env, kind });
    setIssued({ env, kind, key: res.data.key.key });
    await refresh();
  };

  return (
    <>
      <PageHeader title="API keys" />
      <p>
        Keys for <strong>{env === "sandbox" ? "sandbox" : "production"}</strong> (switch above). Send the secret key from your server as{" "}
        <code>Authorization: Bearer …</code>; the widget takes the public key or the client token.
      </p>
      {issued && issued.env === env && (
        <Notice kind="warning">
          <p>
            New {env} {issued.kind} key. {issued.kind === "secret" ? "It is shown only now: copy it and store it where your server reads secrets." : ""}
          </p>
          <Secretish value={issued.key} label={`new ${issued.kind} key`} />
        </Notice>
      )}
      <section class="card">
        <h2>Client token</h2>
        <p class="copyable">
          <code id="client-token">{environment.client_token}</code> <CopyButton text={environment.client_token} label="Copy client token" />
        </p>
      </section>
      <section class="card">
        <h2>Keys</h2>
        <Table
          caption={`${env} keys`}
          rows={environment.keys}
          rowKey={(k) => k.id}
          empty="No keys yet."
          columns={[
            { label: "Key", render: (k) => <code>{k.display_prefix}…</code> },
            { label: "Kind", render: (k) => k.kind },
            { label: "Created", render: (k) => shortDate(k.created_at) },
            { label: "Status", render: (k) => (k.active ? (k.expires_at ? `active until ${shortDate(k.expires_at)}` : "active") : "revoked") },
          ]}
        />
        {canManage ? (
          <p class="actions">
            <ConfirmButton
              label="Rotate secret key"
              question={`Rotate the ${env} secret key? The current one stops working now.`}
              confirmLabel="Rotate now"
              danger
              onConfirm={() => rotate("secret")}
            />{" "}
            <ConfirmButton
              label="Rotate public key"
              question={`Rotate the ${env} public key? Pages using the current one must be updated.`}
              confirmLabel="Rotate now"
              onConfirm={() => rotate("public")}
            />
          </p>
        ) : (
          <p class="hint">Viewers can see keys but not rotate them.</p>
        )}
        {live.length === 0 && <Notice kind="warning">No active key in {env}: rotate to issue one.</Notice>}
      </section>
    </>
  );
}

export const keysPages: PageDef[] = [{ path: "/developers/keys", title: "API keys", component: KeysPage, nav: { section: "Developers", label: "API keys", order: 10 } }];
