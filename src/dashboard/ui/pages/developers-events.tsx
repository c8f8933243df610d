import { useLocation } from "preact-iso";
import { get, query, shortDate } from "../api.js";
import { Field, FormError, Loading, Notice, PageHeader, Submit, Table, useForm, useLoad } from "../components.js";
import { href, type PageDef, type PageProps } from "../registry.js";
import { useSession } from "../session.js";
import { DeliveriesTable, type DeliveryView } from "./developers-webhooks.js";

/**
 * Developers → Events (issue 16 §2): the events feed of the environment, newest first, filtered
 * by type (exact, or a prefix like `payment.*`) and object id, kept in the URL; an event's page
 * shows its body and where it was delivered. Same feed as `/v2/events/list`.
 */

interface EventView {
  id: string;
  type: string;
  created_at: string;
  object: { type: string; id: string };
  sequence: number;
  [field: string]: unknown;
}

function EventsPage({ query: q }: PageProps) {
  const { env } = useSession();
  const { route } = useLocation();
  const filters = { type: q.type ?? "", object_id: q.object_id ?? "" };
  const form = useForm({ ...filters });
  const [page, error] = useLoad(
    () =>
      get<{ events: EventView[]; has_more: boolean; next_cursor: string | null }>(
        `/events${query({ env, ...filters, starting_after: q.starting_after, limit: 25 })}`,
      ).then((r) => r.data),
    [env, filters.type, filters.object_id, q.starting_after],
  );
  // The filters are checked by the same schema as the feed's; a bad one comes back naming its field.
  const apply = form.submit(async (v) => {
    await get(`/events${query({ env, type: v.type, object_id: v.object_id, limit: 1 })}`);
    route(href("/developers/events", { type: v.type, object_id: v.object_id }));
  });
  return (
    <>
      <PageHeader title="Events" />
      <p>Every change Okro told (or would tell) your webhooks about, in {env}. Receivers that were down can catch up from here or from <code>/v2/events/list</code>.</p>
      <form class="card filters" onSubmit={apply} role="search" aria-label="Filter events">
        <Field form={form} name="type" label="Type" placeholder="payment.* or payment.completed" />
        <Field form={form} name="object_id" label="Object id" hint="A payment, record, mandate… id" />
        <FormError form={form} />
        <Submit form={form}>Apply filters</Submit>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      {!page && !error && <Loading />}
      {page && (
        <section class="card">
          <Table
            caption={`${env} events, newest first`}
            rows={page.events}
            rowKey={(e) => e.id}
            empty="No events match."
            columns={[
              { label: "Type", render: (e) => <a href={href(`/developers/events/${e.id}`)}>{e.type}</a> },
              { label: "Object", render: (e) => (
                  <a href={href("/developers/events", { object_id: e.object.id })}>
                    {e.object.type} <code>{e.object.id}</code>
                  </a>
                ) },
              { label: "#", render: (e) => e.sequence },
              { label: "Created", render: (e) => shortDate(e.created_at) },
            ]}
          />
          <p class="actions">
            {q.starting_after && <a href={href("/developers/events", filters)}>Newest</a>}
            {page.has_more && page.next_cursor && <a href={href("/developers/events", { ...filters, starting_after: page.next_cursor })}>Older events</a>}
          </p>
        </section>
      )}
    </>
  );
}

function EventPage({ params }: PageProps) {
  const { env } = useSession();
  const [data, error] = useLoad(() => get<{ event: EventView; deliveries: DeliveryView[] }>(`/events/${params.id}${query({ env })}`).then((r) => r.data), [env, params.id]);
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!data) return <Loading />;
  const { event, deliveries } = data;
  return (
    <>
      <PageHeader title={`Event ${event.type}`}>
        <a href={href("/developers/events")}>All events</a>
      </PageHeader>
      <section class="card">
        <dl class="facts">
          <dt>Id</dt>
          <dd>
            <code>{event.id}</code>
          </dd>
          <dt>Object</dt>
          <dd>
            <a href={href("/developers/events", { object_id: event.object.id })}>
              {event.object.type} {event.object.id}
            </a>{" "}
            (its event #{event.sequence})
          </dd>
          <dt>Created</dt>
          <dd>{shortDate(event.created_at)}</dd>
        </dl>
        <h2>Body</h2>
        <pre tabIndex={0} aria-label="Event body">
          {JSON.stringify(event, null, 2)}
        </pre>
      </section>
      <section class="card">
        <h2>Deliveries</h2>
        <DeliveriesTable rows={deliveries} caption="Where this event was sent" />
      </section>
    </>
  );
}

export const eventPages: PageDef[] = [
  { path: "/developers/events", title: "Events", component: EventsPage, nav: { section: "Developers", label: "Events", order: 40 } },
  { path: "/developers/events/:id", title: "Event", component: EventPage },
];
