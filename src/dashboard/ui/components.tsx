import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, newRequestKey } from "./api.js";

/**
 * Shared pieces every page uses: forms whose server errors land beside the field they name,
 * tables that scroll sideways (not off the page) on a phone, a confirm step for actions that
 * move money or change security, copy buttons, notices, loading and empty states.
 */

// ----- forms -------------------------------------------------------------------------------------

export interface FormState<T extends Record<string, string | boolean>> {
  values: T;
  set: <K extends keyof T>(name: K, value: T[K]) => void;
  errors: Partial<Record<string, string>>;
  /** A message not about one field (shown above the submit button). */
  formError: string | null;
  busy: boolean;
  /**
   * Runs `action` with one Idempotency-Key per attempt of this form: the same key until it
   * succeeds or the values change, so a retry after a lost answer is the same request.
   */
  submit: (action: (values: T, key: string) => Promise<void>) => (e?: Event) => Promise<void>;
  reset: (values?: T) => void;
}

export function useForm<T extends Record<string, string | boolean>>(initial: T): FormState<T> {
  const [values, setValues] = useState<T>(initial);
  const [errors, setErrors] = useState<Partial<Record<string, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const key = useRef(newRequestKey());
  const set = <K extends keyof T>(name: K, value: T[K]) => {
    key.current = newRequestKey();
    setValues((v) => ({ ...v, [name]: value }));
    setErrors((e) => ({ ...e, [name as string]: undefined }));
  };
  const submit = (action: (values: T, key: string) => Promise<void>) => async (e?: Event) => {
    e?.preventDefault();
    if (busy) return;
    setBusy(true);
    setErrors({});
    setFormError(null);
    try {
      await action(values, key.current);
      key.current = newRequestKey();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        // The sign-in dialog opens over the page; what was typed stays here to be sent again.
        setFormError("Your session ended. Sign in again, then send this form again: what you typed is kept.");
      } else if (error instanceof ApiError && error.field && error.field in values) {
        setErrors({ [error.field]: error.message });
      } else {
        setFormError(error instanceof Error ? error.message : String(error));
      }
    } finally {
      setBusy(false);
    }
  };
  const reset = (next: T = initial) => {
    setValues(next);
    setErrors({});
    setFormError(null);
    key.current = newRequestKey();
  };
  return { values, set, errors, formError, busy, submit, reset };
}

let fieldCounter = 0;
const useId = (prefix: string) => useRef(`${prefix}-${++fieldCounter}`).current;

/** The input attributes a dashboard field passes through. */
interface InputProps {
  type?: "text" | "email" | "password" | "number" | "url" | "date" | "datetime-local" | "tel" | "search" | "color";
  autoComplete?: string;
  required?: boolean;
  placeholder?: string;
  inputMode?: "text" | "numeric" | "decimal" | "email" | "url" | "tel" | "search";
  min?: string | number;
  max?: string | number;
  step?: string | number;
  disabled?: boolean;
  readOnly?: boolean;
  autoFocus?: boolean;
}

/** A labelled input bound to a form; the server's message for this field shows under it. */
export function Field<T extends Record<string, string | boolean>>(
  props: { form: FormState<T>; name: keyof T & string; label: string; hint?: string } & InputProps,
) {
  const { form, name, label, hint, type = "text", ...rest } = props;
  const id = useId(`f-${name}`);
  const error = form.errors[name];
  const describedBy = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class={`field${error ? " invalid" : ""}`}>
      <label for={id}>{label}</label>
      {hint && (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      )}
      <input
        {...rest}
        id={id}
        name={name}
        // Preact types `type` as a union discriminated per input kind; any of ours is valid here.
        type={type as "text"}
        value={String(form.values[name] ?? "")}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={describedBy}
        onInput={(e) => form.set(name, (e.currentTarget as HTMLInputElement).value as T[typeof name])}
      />
      {error && (
        <p id={`${id}-error`} class="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

/** A labelled select bound to a form. */
export function SelectField<T extends Record<string, string | boolean>>(props: {
  form: FormState<T>;
  name: keyof T & string;
  label: string;
  options: ReadonlyArray<{ value: string; label: string }>;
}) {
  const { form, name, label, options } = props;
  const id = useId(`s-${name}`);
  const error = form.errors[name];
  return (
    <div class={`field${error ? " invalid" : ""}`}>
      <label for={id}>{label}</label>
      <select
        id={id}
        name={name}
        value={String(form.values[name])}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => form.set(name, (e.currentTarget as HTMLSelectElement).value as T[typeof name])}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {error && (
        <p id={`${id}-error`} class="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

/** The form's own error (not about one field), announced. */
export function FormError({ form }: { form: FormState<any> }) {
  return (
    <p class="form-error" role="alert">
      {form.formError ?? ""}
    </p>
  );
}

export function Submit({ form, children }: { form: FormState<any>; children: ComponentChildren }) {
  return (
    <button type="submit" class="primary" disabled={form.busy} aria-busy={form.busy ? "true" : undefined}>
      {children}
    </button>
  );
}

// ----- tables ------------------------------------------------------------------------------------

export interface Column<R> {
  label: string;
  render: (row: R) => ComponentChildren;
  /** Right-aligned, tabular figures (amounts). */
  numeric?: boolean;
}

/**
 * A table in a focusable, labelled scroll region: on a phone it scrolls sideways inside the
 * page (and by keyboard), the page itself never does.
 */
export function Table<R>(props: { caption: string; columns: ReadonlyArray<Column<R>>; rows: readonly R[] | null; rowKey: (r: R) => string; empty: ComponentChildren }) {
  const { caption, columns, rows, rowKey, empty } = props;
  if (rows === null) return <Loading />;
  if (rows.length === 0) return <p class="empty">{empty}</p>;
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table>
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col" class={c.numeric ? "num" : undefined}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c) => (
                <td key={c.label} class={c.numeric ? "num" : undefined}>
                  {c.render(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// ----- small things ------------------------------------------------------------------------------

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p class="loading" role="status">
      {label}
    </p>
  );
}

export function Notice({ kind = "info", children }: { kind?: "info" | "success" | "warning" | "error"; children: ComponentChildren }) {
  return (
    <div class={`notice ${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}

/** Copies `text` and says so; the text itself stays selectable beside it. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(t);
  }, [copied]);
  return (
    <button
      type="button"
      class="small"
      aria-label={label}
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(
          () => setCopied(true),
          () => setCopied(false),
        );
      }}
    >
      {copied ? "Copied" : "Copy"}
    </button>
  );
}

/** A value shown in full with a copy button (keys, tokens, ids). */
export function Secretish({ value, label }: { value: string; label: string }) {
  return (
    <span class="copyable">
      <code>{value}</code> <CopyButton text={value} label={`Copy ${label}`} />
    </span>
  );
}

/**
 * A button that asks before it acts: the first press shows what will happen and a confirm
 * button (focused), Escape or "Cancel" backs out. For refunds, rotations, removals.
 */
export function ConfirmButton(props: {
  label: string;
  question: ComponentChildren;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  danger?: boolean;
  disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <span class="confirm">
        <button type="button" class={props.danger ? "danger" : undefined} disabled={props.disabled} onClick={() => (setError(null), setAsking(true))}>
          {props.label}
        </button>
        {error && (
          <span class="field-error" role="alert">
            {error}
          </span>
        )}
      </span>
    );
  }
  return (
    <span class="confirm asking" onKeyDown={(e) => e.key === "Escape" && setAsking(false)}>
      <span class="question">{props.question}</span>{" "}
      <button
        ref={confirmRef}
        type="button"
        class={props.danger ? "danger" : "primary"}
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await props.onConfirm();
            setAsking(false);
          } catch (e) {
            setError(e instanceof Error ? e.message : String(e));
            setAsking(false);
          } finally {
            setBusy(false);
          }
        }}
      >
        {props.confirmLabel}
      </button>{" "}
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** Loads data for a page: `[data, error, reload]`; `data` is null while loading. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): [T | null, string | null, () => void] {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setError(null);
    load().then(
      (d) => live && setData(d),
      (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return [data, error, () => setTick((t) => t + 1)];
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="page-header">
      <h1>{title}</h1>
      {children && <div class="page-actions">{children}</div>}
    </div>
  );
}
