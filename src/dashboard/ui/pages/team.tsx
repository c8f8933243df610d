import { get, post, shortDate, type Role } from "../api.js";
import { ConfirmButton, Field, FormError, Notice, PageHeader, SelectField, Submit, Table, useForm, useLoad } from "../components.js";
import type { PageDef } from "../registry.js";
import { roleAtLeast, useSession } from "../session.js";
import { useState } from "preact/hooks";

interface Member {
  id: string;
  email: string;
  name: string;
  role: Role;
  created_at: string;
}
interface Invitation {
  id: string;
  email: string;
  role: Role;
  created_at: string;
  expires_at: string;
  status: string;
}

const ROLE_HELP: Record<Role, string> = {
  owner: "everything, including owners",
  admin: "everything but owners: refunds, payouts, teammates, payment access",
  developer: "keys, apps, webhooks, sandbox tools; no refunds or payouts",
  viewer: "sees everything, changes nothing",
};

/** Teammates and invitations; admins invite, change roles and remove. */
function TeamPage() {
  const { me } = useSession();
  const [team, error, reload] = useLoad(() => get<{ members: Member[]; invitations: Invitation[] }>("/team").then((r) => r.data), []);
  const admin = roleAtLeast(me.user.role, "admin");
  const form = useForm({ email: "", role: "viewer" });
  const [sent, setSent] = useState<string | null>(null);
  return (
    <>
      <PageHeader title="Team" />
      {error && <Notice kind="error">{error}</Notice>}
      <section class="card">
        <h2>Roles</h2>
        <ul>
          {(Object.keys(ROLE_HELP) as Role[]).map((r) => (
            <li key={r}>
              <strong>{r}</strong>: {ROLE_HELP[r]}
            </li>
          ))}
        </ul>
      </section>
      {admin && (
        <section class="card">
          <h2>Invite a teammate</h2>
          {sent && <Notice kind="success">{sent}</Notice>}
          <form
            noValidate
            onSubmit={form.submit(async (v, key) => {
              const res = await post<{ invitation: Invitation; mail: string }>("/team/invite", { email: v.email, role: v.role }, { key });
              setSent(`${res.message}: ${res.data.invitation.email} (${res.data.invitation.role}).`);
              form.reset();
              reload();
            })}
          >
            <Field form={form} name="email" label="Email" type="email" autoComplete="off" required />
            <SelectField
              form={form}
              name="role"
              label="Role"
              options={[
                { value: "viewer", label: "Viewer" },
                { value: "developer", label: "Developer" },
                { value: "admin", label: "Admin" },
              ]}
            />
            <FormError form={form} />
            <Submit form={form}>Send invitation</Submit>
          </form>
        </section>
      )}
      <section class="card">
        <h2>Members</h2>
        <Table
          caption="Team members"
          rows={team?.members ?? null}
          rowKey={(m) => m.id}
          empty="Nobody yet."
          columns={[
            { label: "Name", render: (m) => m.name },
            { label: "Email", render: (m) => m.email },
            { label: "Role", render: (m) => m.role },
            { label: "Joined", render: (m) => shortDate(m.created_at) },
            {
              label: "Actions",
              render: (m) =>
                admin && m.id !== me.user.id && (m.role !== "owner" || me.user.role === "owner") ? (
                  <ConfirmButton
                    label={`Remove ${m.name}`}
                    question={`Remove ${m.email} from the team? Their sessions end now.`}
                    confirmLabel="Remove"
                    danger
                    onConfirm={async () => {
                      await post("/team/remove", { id: m.id });
                      reload();
                    }}
                  />
                ) : null,
            },
          ]}
        />
      </section>
      <section class="card">
        <h2>Open invitations</h2>
        <Table
          caption="Open invitations"
          rows={team?.invitations ?? null}
          rowKey={(i) => i.id}
          empty="No open invitations."
          columns={[
            { label: "Email", render: (i) => i.email },
            { label: "Role", render: (i) => i.role },
            { label: "Status", render: (i) => i.status },
            { label: "Expires", render: (i) => shortDate(i.expires_at) },
            {
              label: "Actions",
              render: (i) =>
                admin && i.status === "pending" ? (
                  <ConfirmButton
                    label={`Withdraw invitation to ${i.email}`}
                    question="Withdraw this invitation? Its link stops working."
                    confirmLabel="Withdraw"
                    danger
                    onConfirm={async () => {
                      await post("/team/invitations/revoke", { id: i.id });
                      reload();
                    }}
                  />
                ) : null,
            },
          ]}
        />
      </section>
    </>
  );
}

export const teamPages: PageDef[] = [{ path: "/settings/team", title: "Team", component: TeamPage, nav: { section: "Settings", order: 10 } }];
