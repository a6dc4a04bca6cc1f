"use client";

import { useId, useState } from "react";
import { Button, cx, inputClass } from "../ui";

export type Registry = { allowed: string[]; require_approval: string[]; denied: string[] };
export type ListName = keyof Registry;

export const LISTS: { name: ListName; label: string; hint: string; tone: string }[] = [
  {
    name: "allowed",
    label: "Allowed",
    hint: "The policy decides (allow, deny or ask).",
    tone: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  },
  {
    name: "require_approval",
    label: "Require approval",
    hint: "Always needs a person, even when the policy would allow it.",
    tone: "bg-amber-50 text-amber-900 ring-amber-200",
  },
  {
    name: "denied",
    label: "Denied",
    hint: "Refused before the policy is consulted.",
    tone: "bg-red-50 text-red-800 ring-red-200",
  },
];

export const EMPTY_REGISTRY: Registry = { allowed: [], require_approval: [], denied: [] };

/**
 * The three tool lists of one environment. A tool typed into one list while
 * it sits in another is pointed out rather than added: Warden accepts a tool
 * in one list only.
 */
export function ToolListEditor({
  label,
  value,
  onChange,
  errors,
  disabled = false,
}: {
  label: string;
  value: Registry;
  onChange: (next: Registry) => void;
  /** Field errors by list name. */
  errors: Partial<Record<ListName, string>>;
  disabled?: boolean;
}) {
  return (
    <fieldset className="grid gap-4 md:grid-cols-3" disabled={disabled}>
      <legend className="sr-only">{label}</legend>
      {LISTS.map((l) => (
        <ToolList key={l.name} envLabel={label} list={l} value={value} onChange={onChange} error={errors[l.name]} />
      ))}
    </fieldset>
  );
}

function ToolList({
  envLabel,
  list,
  value,
  onChange,
  error,
}: {
  envLabel: string;
  list: (typeof LISTS)[number];
  value: Registry;
  onChange: (next: Registry) => void;
  error?: string;
}) {
  const id = useId();
  const [draft, setDraft] = useState("");
  const [hint, setHint] = useState<string | null>(null);
  const tools = value[list.name];

  function add() {
    const names = draft
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    if (names.length === 0) return;
    const next: Registry = {
      allowed: [...value.allowed],
      require_approval: [...value.require_approval],
      denied: [...value.denied],
    };
    const clashes: string[] = [];
    for (const n of names) {
      const where = LISTS.find((l) => next[l.name].includes(n));
      if (where) {
        if (where.name !== list.name) clashes.push(`“${n}” is already in ${where.label.toLowerCase()}`);
        continue;
      }
      next[list.name].push(n);
    }
    onChange(next);
    setDraft("");
    setHint(clashes.length ? `${clashes.join("; ")}. Remove it there first.` : null);
  }

  const inputId = `${id}-input`;
  const message = hint ?? error;
  return (
    <div className="rounded-md border border-slate-200 p-3">
      <label htmlFor={inputId} className="block text-sm font-medium text-slate-800">
        {list.label}
        <span className="sr-only"> tools ({envLabel})</span>
      </label>
      <p className="text-xs text-slate-500">{list.hint}</p>
      <ul className="mt-2 flex min-h-8 flex-wrap gap-1" aria-label={`${list.label} (${envLabel}): current tools`}>
        {tools.length === 0 && <li className="text-xs text-slate-400">none</li>}
        {tools.map((t) => (
          <li
            key={t}
            className={cx(
              "inline-flex items-center gap-1 rounded-full py-0.5 pl-2 pr-1 font-mono text-xs ring-1 ring-inset",
              list.tone,
            )}
          >
            {t}
            <button
              type="button"
              className="rounded-full px-1 hover:bg-white/70"
              aria-label={`Remove ${t} from ${list.label.toLowerCase()} (${envLabel})`}
              onClick={() => onChange({ ...value, [list.name]: tools.filter((x) => x !== t) })}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <div className="mt-2 flex gap-2">
        <input
          id={inputId}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              add();
            }
          }}
          placeholder="tool name, e.g. payments"
          autoComplete="off"
          aria-invalid={message ? true : undefined}
          aria-describedby={message ? `${inputId}-msg` : undefined}
          className={cx(inputClass, "font-mono")}
        />
        <Button
          type="button"
          variant="secondary"
          onClick={add}
          aria-label={`Add to ${list.label.toLowerCase()} (${envLabel})`}
        >
          Add
        </Button>
      </div>
      {message && (
        <p id={`${inputId}-msg`} className="mt-1 text-xs font-medium text-red-700">
          {message}
        </p>
      )}
    </div>
  );
}
