import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { textOn } from "./theme.js";

/** Each screen's title: focused when the screen appears, so screen readers and keyboards follow. */
export function Heading({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

export function Button(props: {
  children: ComponentChildren;
  onClick?: () => void;
  kind?: "primary" | "secondary" | "link";
  type?: "button" | "submit";
  disabled?: boolean;
  busy?: boolean;
  /** Where a dialog puts focus when it opens. */
  autoFocus?: boolean;
}) {
  const { kind = "primary", type = "button", busy = false } = props;
  return (
    <button
      type={type}
      class={`btn ${kind}`}
      disabled={props.disabled || busy}
      aria-busy={busy ? "true" : undefined}
      data-autofocus={props.autoFocus ? "" : undefined}
      onClick={props.onClick}
    >
      {busy && <span class="spinner small" aria-hidden="true" />}
      {props.children}
    </button>
  );
}

export function Status({ children }: { children: ComponentChildren }) {
  return (
    <div class="center">
      <div class="spinner" aria-hidden="true" />
      <p role="status">{children}</p>
    </div>
  );
}

export function InlineAlert({ children }: { children: ComponentChildren }) {
  return (
    <div class="alert" role="alert">
      <IconAlert />
      <p>{children}</p>
    </div>
  );
}

/** The bank's initial on its colour: no remote logos, no external requests. */
export function BankBadge({ name, color }: { name: string; color: string }) {
  return (
    <span class="badge" aria-hidden="true" style={{ background: color, color: textOn(color) }}>
      {initial(name)}
    </span>
  );
}

export const initial = (name: string) => (name.trim()[0] ?? "?").toUpperCase();

/** The merchant's logo; their name's initial if there is none or it fails to load. Key it by the logo URL. */
export function BrandMark({ name, logo }: { name: string; logo: string | null }) {
  const [failed, setFailed] = useState(false);
  if (logo && !failed) return <img class="logo" src={logo} alt="" onError={() => setFailed(true)} />;
  return (
    <span class="logo initial" aria-hidden="true">
      {initial(name)}
    </span>
  );
}

/**
 * A modal dialog: focus moves in and is trapped (Tab cycles), Escape dismisses it, focus goes
 * back where it was when it closes. The page behind is made inert by the caller.
 */
export function Dialog(props: { title: string; children: ComponentChildren; onDismiss: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  // Captured while rendering, before the page behind turns inert (which drops its focus).
  const [previous] = useState(() => document.activeElement as HTMLElement | null);
  useEffect(() => {
    const first = ref.current?.querySelector<HTMLElement>("[data-autofocus]") ?? ref.current?.querySelector<HTMLElement>("button");
    first?.focus();
    // After the render that removes the dialog has also lifted `inert` from the page behind.
    return () => void setTimeout(() => previous?.focus?.(), 0);
  }, []);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      props.onDismiss();
      return;
    }
    if (e.key !== "Tab" || !ref.current) return;
    const items = Array.from(ref.current.querySelectorAll<HTMLElement>("button:not([disabled]), [href], input, [tabindex]:not([tabindex='-1'])"));
    if (items.length === 0) return;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };
  return (
    <div class="backdrop" onKeyDown={onKeyDown}>
      <div ref={ref} class="dialog" role="dialog" aria-modal="true" aria-labelledby="dialog-title">
        <h2 id="dialog-title">{props.title}</h2>
        {props.children}
      </div>
    </div>
  );
}

const svg = { width: 20, height: 20, viewBox: "0 0 24 24", fill: "none", stroke: "currentColor", "stroke-width": 2.2, "stroke-linecap": "round", "stroke-linejoin": "round", "aria-hidden": "true", focusable: "false" } as const;

export const IconClose = () => (
  <svg {...svg}>
    <path d="M6 6l12 12M18 6L6 18" />
  </svg>
);
export const IconBack = () => (
  <svg {...svg}>
    <path d="M15 5l-7 7 7 7" />
  </svg>
);
export const IconLock = () => (
  <svg {...svg} width={14} height={14}>
    <rect x="5" y="11" width="14" height="10" rx="2" />
    <path d="M8 11V8a4 4 0 018 0v3" />
  </svg>
);
export const IconCheck = () => (
  <svg {...svg} width={18} height={18}>
    <path d="M5 12.5l4.5 4.5L19 7.5" />
  </svg>
);
export const IconAlert = () => (
  <svg {...svg}>
    <circle cx="12" cy="12" r="9.5" />
    <path d="M12 7.5v5.5M12 16.5v.01" />
  </svg>
);
export const IconSearch = () => (
  <svg {...svg} width={18} height={18}>
    <circle cx="11" cy="11" r="6.5" />
    <path d="M16 16l4.5 4.5" />
  </svg>
);
