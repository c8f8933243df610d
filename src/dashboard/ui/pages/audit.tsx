import { get, shortDate } from "../api.js";
import { Notice, PageHeader, Table, useLoad } from "../components.js";
import type { PageDef } from "../registry.js";

interface Entry {
  id: string;
  at: string;
  actor: string;
  action: string;
  env: string | null;
  object_type: string | null;
  object_id: string | null;
  detail: Record<string, unknown>;
}

/** Who did what, when: key rotations, teammates, payment access, money-moving actions. */
function AuditPage() {
  const [entries, error] = useLoad(() => get<{ entries: Entry[] }>("/audit?limit=100").then((r) => r.data.entries), []);
  return (
    <>
      <PageHeader title="Audit log" />
      {error && <Notice kind="error">{error}</Notice>}
      <Table
        caption="Audit log"
        rows={error ? [] : entries}
        rowKey={(e) => e.id}
        empty="Nothing yet."
        columns={[
          { label: "When", render: (e) => shortDate(e.at) },
          { label: "Who", render: (e) => e.actor },
          { label: "What", render: (e) => e.action },
          { label: "Env", render: (e) => e.env ?? "—" },
          { label: "Object", render: (e) => (e.object_id ? `${e.object_type} ${e.object_id}` : "—") },
          { label: "Detail", render: (e) => <code>{JSON.stringify(e.detail)}</code> },
        ]}
      />
    </>
  );
}

export const auditPages: PageDef[] = [{ path: "/settings/audit", title: "Audit log", component: AuditPage, nav: { section: "Settings", order: 30 } }];
