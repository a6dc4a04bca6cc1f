"use client";

import { useRef } from "react";
import { Button, cx, inputClass } from "../ui";
import {
  EFFECT_OPTIONS,
  RISK_OPTIONS,
  SUGGESTED_RISK,
  offsetOf,
  parsePosition,
  type EditableRule,
  type RuleErrors,
} from "./model";

function FieldError({ id, message }: { id: string; message?: string }) {
  if (!message) return null;
  return (
    <p id={id} className="mt-1 text-xs font-medium text-red-700">
      {message}
    </p>
  );
}

/**
 * The compile error under a condition: the message, and the offending line
 * with a caret under the column, plus a button that puts the cursor there.
 */
function ConditionError({
  id,
  message,
  source,
  onLocate,
}: {
  id: string;
  message: string;
  source: string;
  onLocate: (offset: number) => void;
}) {
  const pos = parsePosition(message);
  if (!pos) return <FieldError id={id} message={message} />;
  const lineText = source.split(/\r\n|\n|\r/)[pos.line - 1] ?? "";
  const caret = `${" ".repeat(Math.max(0, pos.column - 1))}^`;
  return (
    <div
      id={id}
      className="mt-2 rounded-md border border-red-200 bg-red-50 p-2 text-xs text-red-800"
      data-testid="condition-error"
    >
      <p className="font-medium">
        Line {pos.line}, column {pos.column}: {pos.text}
      </p>
      <pre aria-hidden="true" className="mt-1 overflow-x-auto font-mono leading-4 text-red-900">
        {lineText}
        {"\n"}
        {caret}
      </pre>
      <button
        type="button"
        className="mt-1 font-medium underline"
        onClick={() => onLocate(offsetOf(source, pos.line, pos.column))}
      >
        Go to line {pos.line}, column {pos.column}
      </button>
    </div>
  );
}

export function RuleEditor({
  rule,
  index,
  count,
  errors,
  onChange,
  onMove,
  onRemove,
}: {
  rule: EditableRule;
  index: number;
  count: number;
  errors: RuleErrors;
  onChange: (rule: EditableRule) => void;
  onMove: (delta: -1 | 1) => void;
  onRemove: () => void;
}) {
  const conditionRef = useRef<HTMLTextAreaElement>(null);
  const id = `rule-${rule.key}`;
  const n = index + 1;
  const label = rule.name.trim() ? `Rule ${n}: ${rule.name.trim()}` : `Rule ${n}`;
  const set = <K extends keyof EditableRule>(k: K, v: EditableRule[K]) => onChange({ ...rule, [k]: v });
  const hasErrors = Object.values(errors).some(Boolean);

  return (
    <li
      aria-label={label}
      data-testid={`rule-${index}`}
      className={cx("rounded-lg border bg-white p-4 shadow-sm", hasErrors ? "border-red-300" : "border-slate-200")}
    >
      <div className="flex flex-wrap items-start gap-3">
        <span
          className="mt-2 flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-slate-900 text-xs font-semibold text-white"
          aria-hidden="true"
        >
          {n}
        </span>
        <div className="min-w-48 flex-1">
          <label htmlFor={`${id}-name`} className="sr-only">
            Name of rule {n}
          </label>
          <input
            id={`${id}-name`}
            value={rule.name}
            onChange={(e) => set("name", e.target.value)}
            maxLength={100}
            placeholder="Rule name, e.g. Approve large payments"
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={errors.name ? `${id}-name-error` : undefined}
            className={cx(inputClass, "font-medium")}
          />
          <FieldError id={`${id}-name-error`} message={errors.name} />
        </div>
        <div className="flex gap-1">
          <Button
            type="button"
            variant="ghost"
            onClick={() => onMove(-1)}
            disabled={index === 0}
            aria-label={`Move rule ${n} up`}
          >
            ↑
          </Button>
          <Button
            type="button"
            variant="ghost"
            onClick={() => onMove(1)}
            disabled={index === count - 1}
            aria-label={`Move rule ${n} down`}
          >
            ↓
          </Button>
          <Button
            type="button"
            variant="ghost"
            className="text-red-700"
            onClick={onRemove}
            aria-label={`Remove rule ${n}`}
          >
            Remove
          </Button>
        </div>
      </div>

      <div className="mt-3">
        <label htmlFor={`${id}-condition`} className="block text-xs font-medium uppercase text-slate-500">
          Condition of rule {n} (CEL)
        </label>
        <textarea
          ref={conditionRef}
          id={`${id}-condition`}
          value={rule.condition}
          onChange={(e) => set("condition", e.target.value)}
          rows={Math.min(16, Math.max(3, rule.condition.split("\n").length + 1))}
          spellCheck={false}
          autoCapitalize="off"
          autoCorrect="off"
          maxLength={4096}
          aria-invalid={errors.condition ? true : undefined}
          aria-describedby={errors.condition ? `${id}-condition-error` : undefined}
          className={cx(inputClass, "mt-1 font-mono text-xs leading-5", errors.condition && "ring-red-400")}
        />
        {errors.condition && (
          <ConditionError
            id={`${id}-condition-error`}
            message={errors.condition}
            source={rule.condition}
            onLocate={(offset) => {
              const el = conditionRef.current;
              if (!el) return;
              el.focus();
              el.setSelectionRange(offset, Math.min(offset + 1, rule.condition.length));
            }}
          />
        )}
      </div>

      <div className="mt-3 grid gap-3 md:grid-cols-4">
        <div>
          <label htmlFor={`${id}-effect`} className="block text-xs font-medium uppercase text-slate-500">
            Effect
          </label>
          <select
            id={`${id}-effect`}
            value={rule.effect}
            onChange={(e) => {
              const effect = e.target.value as EditableRule["effect"];
              // Keep a risk the author chose; follow the effect while it is still the suggestion.
              const risk = rule.risk_level === SUGGESTED_RISK[rule.effect] ? SUGGESTED_RISK[effect] : rule.risk_level;
              onChange({ ...rule, effect, risk_level: risk });
            }}
            className={cx(inputClass, "mt-1")}
          >
            {EFFECT_OPTIONS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
          <FieldError id={`${id}-effect-error`} message={errors.effect} />
        </div>
        <div>
          <label htmlFor={`${id}-risk`} className="block text-xs font-medium uppercase text-slate-500">
            Risk level
          </label>
          <select
            id={`${id}-risk`}
            value={rule.risk_level}
            onChange={(e) => set("risk_level", e.target.value as EditableRule["risk_level"])}
            className={cx(inputClass, "mt-1")}
          >
            {RISK_OPTIONS.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          <FieldError id={`${id}-risk-error`} message={errors.risk_level} />
        </div>
        <div className="md:col-span-2">
          <label htmlFor={`${id}-reason`} className="block text-xs font-medium uppercase text-slate-500">
            Reason (shown to agents and approvers)
          </label>
          <input
            id={`${id}-reason`}
            value={rule.reason}
            onChange={(e) => set("reason", e.target.value)}
            maxLength={500}
            aria-invalid={errors.reason ? true : undefined}
            className={cx(inputClass, "mt-1")}
          />
          <FieldError id={`${id}-reason-error`} message={errors.reason} />
        </div>
      </div>

      {rule.effect === "require_approval" && (
        <div className="mt-3 grid gap-3 rounded-md bg-amber-50 p-3 md:grid-cols-2">
          <div>
            <label htmlFor={`${id}-quorum`} className="block text-xs font-medium uppercase text-amber-900">
              Approvals required (1–5 different people)
            </label>
            <input
              id={`${id}-quorum`}
              type="number"
              min={1}
              max={5}
              value={rule.approvals_required}
              onChange={(e) => set("approvals_required", e.target.value)}
              aria-invalid={errors.approvals_required ? true : undefined}
              className={cx(inputClass, "mt-1")}
            />
            <FieldError id={`${id}-quorum-error`} message={errors.approvals_required} />
          </div>
          <div>
            <label htmlFor={`${id}-ttl`} className="block text-xs font-medium uppercase text-amber-900">
              Expires after (minutes, 1–10080)
            </label>
            <input
              id={`${id}-ttl`}
              type="number"
              min={1}
              max={10080}
              value={rule.ttl_minutes}
              onChange={(e) => set("ttl_minutes", e.target.value)}
              aria-invalid={errors.approval_ttl_seconds ? true : undefined}
              className={cx(inputClass, "mt-1")}
            />
            <FieldError id={`${id}-ttl-error`} message={errors.approval_ttl_seconds} />
          </div>
        </div>
      )}
    </li>
  );
}
