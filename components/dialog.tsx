"use client";

import { useEffect, useEffectEvent, useId, useRef, type KeyboardEvent, type ReactNode } from "react";
import { Button, cx } from "./ui";

const TABBABLE = [
  "a[href]",
  "button:not([disabled])",
  "input:not([disabled]):not([type='hidden'])",
  "select:not([disabled])",
  "textarea:not([disabled])",
  "summary",
  "[tabindex]:not([tabindex='-1'])",
].join(",");

function tabbables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(TABBABLE)].filter(
    (el) => el.tabIndex >= 0 && el.getClientRects().length > 0 && !el.closest("[inert]"),
  );
}

/**
 * The one modal dialog: the native <dialog> opened with showModal(), so the
 * page behind it is inert and nothing is injected (no inline styles for the
 * CSP to refuse). Focus moves into the dialog (to the element marked
 * `data-autofocus`, else the first control), Tab and Shift+Tab wrap inside it,
 * Escape calls `onCancel`, and when the dialog goes away focus returns to the
 * element that had it before. The caller renders it only while it is open.
 */
export function Dialog({
  title,
  description,
  children,
  onCancel,
  wide = false,
  testId,
}: {
  title: ReactNode;
  /** A sentence under the title, announced with it. */
  description?: ReactNode;
  children: ReactNode;
  /** Escape or a Cancel button; the caller stops rendering the dialog. */
  onCancel: () => void;
  wide?: boolean;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  const cancel = useEffectEvent(() => onCancel());

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    dialog.querySelector<HTMLElement>("[data-autofocus]")?.focus();
    // Escape: the browser fires `cancel`; the caller decides (it unmounts the dialog).
    const onNativeCancel = (e: Event) => {
      e.preventDefault();
      cancel();
    };
    dialog.addEventListener("cancel", onNativeCancel);
    return () => {
      dialog.removeEventListener("cancel", onNativeCancel);
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  function onKeyDown(e: KeyboardEvent<HTMLDialogElement>) {
    if (e.key !== "Tab" || !ref.current) return;
    const items = tabbables(ref.current);
    if (items.length === 0) {
      e.preventDefault();
      return;
    }
    const first = items[0]!;
    const last = items[items.length - 1]!;
    const active = document.activeElement;
    if (e.shiftKey && (active === first || active === ref.current)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (active === last || !ref.current.contains(active))) {
      e.preventDefault();
      first.focus();
    }
  }

  return (
    <dialog
      ref={ref}
      aria-labelledby={`${id}-title`}
      aria-describedby={description ? `${id}-description` : undefined}
      onKeyDown={onKeyDown}
      data-testid={testId}
      className={cx(
        "m-auto max-h-[90vh] w-[calc(100%-2rem)] overflow-y-auto rounded-lg bg-white p-6 text-slate-900 shadow-xl backdrop:bg-slate-900/40",
        wide ? "max-w-2xl" : "max-w-md",
      )}
    >
      <h2 id={`${id}-title`} className="text-lg font-semibold">
        {title}
      </h2>
      {description && (
        <p id={`${id}-description`} className="mt-2 text-sm text-slate-600">
          {description}
        </p>
      )}
      <div className="mt-2">{children}</div>
    </dialog>
  );
}

/** A yes/no question: Cancel (focused first) or the confirming button. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  pendingLabel,
  tone = "primary",
  pending = false,
  onConfirm,
  onCancel,
  testId,
}: {
  title: ReactNode;
  children?: ReactNode;
  confirmLabel: string;
  pendingLabel?: string;
  tone?: "primary" | "danger";
  pending?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  testId?: string;
}) {
  return (
    <Dialog title={title} onCancel={onCancel} testId={testId}>
      {children}
      <div className="mt-6 flex flex-wrap justify-end gap-3">
        <Button variant="secondary" onClick={onCancel} data-autofocus>
          Cancel
        </Button>
        <Button variant={tone} onClick={onConfirm} disabled={pending}>
          {pending ? (pendingLabel ?? `${confirmLabel}…`) : confirmLabel}
        </Button>
      </div>
    </Dialog>
  );
}
