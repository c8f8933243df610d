import { useLocation } from "preact-iso";
import { useContext, useState } from "preact/hooks";
import { post, type Env } from "../api.js";
import { Field, FormError, Notice, Submit, useForm } from "../components.js";
import { href, type PageDef } from "../registry.js";
import { ShellContext } from "../session.js";

/** Sign in, sign up: the pages a person sees before they have a session. */

export function SignInForm({ email = "", onSignedIn }: { email?: string; onSignedIn: () => Promise<void> }) {
  const form = useForm({ email, password: "" });
  return (
    <form
      onSubmit={form.submit(async (v) => {
        await post("/login", { email: v.email, password: v.password }, { quiet401: true });
        await onSignedIn();
      })}
      noValidate
    >
      <Field form={form} name="email" label="Email" type="email" autoComplete="username" required />
      <Field form={form} name="password" label="Password" type="password" autoComplete="current-password" required />
      <FormError form={form} />
      <Submit form={form}>Sign in</Submit>
    </form>
  );
}

function SignInPage() {
  const shell = useContext(ShellContext);
  const { route } = useLocation();
  return (
    <section class="card narrow">
      <h1>Sign in</h1>
      <SignInForm
        onSignedIn={async () => {
          await shell.signedIn();
          route(href("/"));
        }}
      />
      <p class="hint">
        New to Okro? <a href={href("/signup")}>Create an account</a> · <a href={href("/forgot-password")}>Forgot your password?</a>
      </p>
      <p class="hint">
        Running <code>npm start</code>? The demo login is printed in the banner and in <code>.okro/demo.json</code>.
      </p>
    </section>
  );
}

/** What signup answered, kept in memory for the home page to show once (the secret keys are never shown again). */
export interface SignupCredentials {
  sandbox: { secret_key: string; public_key: string; client_token: string };
  production: { secret_key: string; public_key: string; client_token: string };
}
let freshCredentials: SignupCredentials | null = null;
/** The keys signup returned, once: the second call gets null. */
export function takeFreshCredentials(): SignupCredentials | null {
  const c = freshCredentials;
  freshCredentials = null;
  return c;
}

function SignUpPage() {
  const form = useForm({ company_name: "", name: "", email: "", password: "" });
  const shell = useContext(ShellContext);
  const { route } = useLocation();
  const [done, setDone] = useState(false);
  if (done) return <Notice kind="success">Account created. Opening your dashboard…</Notice>;
  return (
    <section class="card narrow">
      <h1>Create your Okro account</h1>
      <p>Sandbox payments work as soon as you sign up. Production needs a short review of your business.</p>
      <form
        noValidate
        onSubmit={form.submit(async (v) => {
          const res = await post<{ credentials: Record<Env, { secret_key: string; public_key: string; client_token: string }> }>(
            "/signup",
            { company_name: v.company_name, name: v.name, email: v.email, password: v.password },
            { quiet401: true },
          );
          freshCredentials = res.data.credentials;
          setDone(true);
          // A soft navigation keeps the keys in memory for the home page.
          await shell.signedIn();
          route(href("/"));
        })}
      >
        <Field form={form} name="company_name" label="Company name" autoComplete="organization" required />
        <Field form={form} name="name" label="Your name" autoComplete="name" required />
        <Field form={form} name="email" label="Work email" type="email" autoComplete="email" required />
        <Field form={form} name="password" label="Password" type="password" autoComplete="new-password" hint="At least 10 characters." required />
        <FormError form={form} />
        <Submit form={form}>Create account</Submit>
      </form>
      <p class="hint">
        Already have an account? <a href={href("/signin")}>Sign in</a>
      </p>
    </section>
  );
}

export const authPages: PageDef[] = [
  { path: "/signin", title: "Sign in", component: SignInPage, public: true },
  { path: "/signup", title: "Create your account", component: SignUpPage, public: true },
];
