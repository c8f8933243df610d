import { useContext, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { ApiError, post, type Role } from "../api.js";
import { Field, FormError, Loading, Notice, Submit, useForm, useLoad } from "../components.js";
import { href, type PageDef, type PageProps } from "../registry.js";
import { ShellContext } from "../session.js";

/** Password reset (ask, then set with the mailed link) and accepting an invitation: no session needed. */

function ForgotPasswordPage() {
  const form = useForm({ email: "" });
  const [sent, setSent] = useState<string | null>(null);
  return (
    <section class="card narrow">
      <h1>Reset your password</h1>
      {sent ? (
        <Notice kind="success">{sent} Check your inbox (and spam folder); the link works for an hour.</Notice>
      ) : (
        <form
          noValidate
          onSubmit={form.submit(async (v) => {
            const res = await post("/password/forgot", { email: v.email }, { quiet401: true });
            setSent(res.message + ".");
          })}
        >
          <Field form={form} name="email" label="Email" type="email" autoComplete="email" required />
          <FormError form={form} />
          <Submit form={form}>Email me a reset link</Submit>
        </form>
      )}
      <p class="hint">
        <a href={href("/signin")}>Back to sign in</a>
      </p>
    </section>
  );
}

function ResetPasswordPage({ query }: PageProps) {
  const form = useForm({ password: "", confirm: "" });
  const [done, setDone] = useState(false);
  const token = query.token ?? "";
  return (
    <section class="card narrow">
      <h1>Choose a new password</h1>
      {done ? (
        <Notice kind="success">
          Password changed. <a href={href("/signin")}>Sign in with it</a>.
        </Notice>
      ) : !token ? (
        <Notice kind="error">
          This page needs the link from the reset mail. <a href={href("/forgot-password")}>Ask for a new one</a>.
        </Notice>
      ) : (
        <form
          noValidate
          onSubmit={form.submit(async (v) => {
            if (v.password !== v.confirm) {
              throw new ApiError({ kind: "http", status: 400, code: "INVALID_FIELD", message: "confirm: the two passwords differ", field: "confirm", data: {} });
            }
            await post("/password/reset", { token, password: v.password }, { quiet401: true });
            setDone(true);
          })}
        >
          <Field form={form} name="password" label="New password" type="password" autoComplete="new-password" hint="At least 10 characters." required />
          <Field form={form} name="confirm" label="New password again" type="password" autoComplete="new-password" required />
          <FormError form={form} />
          <Submit form={form}>Set password</Submit>
        </form>
      )}
    </section>
  );
}

function AcceptInvitationPage({ query }: PageProps) {
  const token = query.token ?? "";
  const shell = useContext(ShellContext);
  const { route } = useLocation();
  const [invitation, error] = useLoad(
    async () => (token ? (await post<{ company_name: string; email: string; role: Role }>("/invitations/lookup", { token }, { quiet401: true })).data : null),
    [token],
  );
  const form = useForm({ name: "", password: "" });
  if (error) {
    return (
      <section class="card narrow">
        <h1>Invitation</h1>
        <Notice kind="error">{error}</Notice>
      </section>
    );
  }
  if (!token) return <Notice kind="error">This page needs the link from the invitation mail.</Notice>;
  if (!invitation) return <Loading />;
  return (
    <section class="card narrow">
      <h1>Join {invitation.company_name}</h1>
      <p>
        You were invited as <strong>{invitation.role}</strong> with <strong>{invitation.email}</strong>. Choose your name and a password.
      </p>
      <form
        noValidate
        onSubmit={form.submit(async (v) => {
          await post("/invitations/accept", { token, name: v.name, password: v.password }, { quiet401: true });
          await shell.signedIn();
          route(href("/"));
        })}
      >
        <Field form={form} name="name" label="Your name" autoComplete="name" required />
        <Field form={form} name="password" label="Password" type="password" autoComplete="new-password" hint="At least 10 characters." required />
        <FormError form={form} />
        <Submit form={form}>Join the team</Submit>
      </form>
    </section>
  );
}

export const accountPages: PageDef[] = [
  { path: "/forgot-password", title: "Reset your password", component: ForgotPasswordPage, public: true },
  { path: "/reset-password", title: "Choose a new password", component: ResetPasswordPage, public: true },
  { path: "/invite", title: "Accept an invitation", component: AcceptInvitationPage, public: true },
];
