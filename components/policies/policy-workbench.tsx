"use client";

import { useRouter } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import type { RuleInput } from "@/lib/policy/schemas";
import type { PolicyVersionView } from "@/lib/policy/versions";
import { ApiError, api, describeErrorForForm } from "../api-client";
import { Alert, Badge, Button, Card, inputClass } from "../ui";
import {
  DEFAULT_TTL_MINUTES,
  errorsByRule,
  newKey,
  toEditable,
  toRuleInputs,
  type EditableRule,
  type RuleErrors,
} from "./model";
import { PublishDialog } from "./publish-dialog";
import { ReferencePanel } from "./reference-panel";
import { ReplayPanel } from "./replay-panel";
import { RuleEditor } from "./rule-editor";
import { TestPanel, type AgentChoice } from "./test-panel";

function blankRule(): EditableRule {
  return {
    key: newKey(),
    name: "",
    condition: "",
    effect: "allow",
    risk_level: "low",
    reason: "",
    approvals_required: "1",
    ttl_minutes: DEFAULT_TTL_MINUTES,
  };
}

/** Drops the errors of the fields just edited: they describe text that is gone. */
function clearEdited(
  cur: Record<number, RuleErrors> | null,
  index: number,
  before: EditableRule,
  after: EditableRule,
): Record<number, RuleErrors> | null {
  const mine = cur?.[index];
  if (!cur || !mine) return cur;
  const fieldOf: Record<keyof RuleErrors, keyof EditableRule> = {
    name: "name",
    condition: "condition",
    effect: "effect",
    risk_level: "risk_level",
    reason: "reason",
    approvals_required: "approvals_required",
    approval_ttl_seconds: "ttl_minutes",
  };
  const left: RuleErrors = {};
  for (const [k, v] of Object.entries(mine) as [keyof RuleErrors, string][]) {
    if (before[fieldOf[k]] === after[fieldOf[k]]) left[k] = v;
  }
  return { ...cur, [index]: left };
}

const snapshot = (rules: EditableRule[], description: string) =>
  JSON.stringify({ rules: toRuleInputs(rules), description: description.trim() });

/**
 * The policy editor: starts from a version's rules, saves new drafts, tests
 * and replays them, and publishes a saved draft. Every check is the server's:
 * compile errors come back from saving (or testing) with their positions.
 */
export function PolicyWorkbench({
  org,
  base,
  active,
  agents,
}: {
  org: string;
  base: PolicyVersionView;
  active: PolicyVersionView | null;
  agents: AgentChoice[];
}) {
  const router = useRouter();
  const [rules, setRules] = useState<EditableRule[]>(() => base.rules.map(toEditable));
  const [description, setDescription] = useState("");
  const [errors, setErrors] = useState<Record<number, RuleErrors> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [saved, setSaved] = useState<{ view: PolicyVersionView; snapshot: string } | null>(
    base.status === "draft" ? { view: base, snapshot: snapshot(base.rules.map(toEditable), "") } : null,
  );
  const [baseline] = useState(() => snapshot(base.rules.map(toEditable), ""));
  const [saving, setSaving] = useState(false);
  const [publishing, setPublishing] = useState(false);

  const current = useMemo(() => snapshot(rules, description), [rules, description]);
  const dirty = current !== (saved?.snapshot ?? baseline);
  const publishable = saved !== null && !dirty;

  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  function edit(next: EditableRule[], keepErrors = false) {
    setRules(next);
    setNotice(null);
    // Errors are addressed by position; after a reorder they would point at the wrong rule.
    if (!keepErrors) setErrors(null);
  }

  function move(i: number, delta: -1 | 1) {
    const j = i + delta;
    if (j < 0 || j >= rules.length) return;
    const next = [...rules];
    [next[i], next[j]] = [next[j]!, next[i]!];
    edit(next);
  }

  function addRule(rule: EditableRule) {
    edit([rule, ...rules]);
  }

  function showErrors(list: { path: string; message: string }[]) {
    setErrors(list.length ? errorsByRule(list) : null);
  }

  async function save() {
    setSaving(true);
    setError(null);
    setNotice(null);
    setErrors(null);
    try {
      const view = await api<PolicyVersionView>(org, "/api/v1/policies", {
        method: "POST",
        body: { rules: toRuleInputs(rules), ...(description.trim() ? { description: description.trim() } : {}) },
      });
      // The server normalises rules (risk and approval defaults); edit what it stored.
      const stored = view.rules.map(toEditable);
      setRules(stored);
      setSaved({ view, snapshot: snapshot(stored, description) });
      setNotice(`Saved as draft v${view.version}. Test or replay it, then publish it to make it active.`);
      router.refresh();
    } catch (e) {
      const list = e instanceof ApiError ? (e.problem.errors ?? []) : [];
      if (list.length) showErrors(list);
      setError(describeErrorForForm(e, (path) => /^rules\.\d+/.test(path)));
    } finally {
      setSaving(false);
    }
  }

  return (
    <div className="space-y-6">
      <div className="grid gap-6 xl:grid-cols-3">
        <div className="space-y-4 xl:col-span-2">
          <Card
            title={
              <span className="flex flex-wrap items-center gap-2">
                Editor
                <span className="text-xs font-normal text-slate-500">
                  starting from v{base.version}
                  {base.active ? " (active)" : base.status === "draft" ? " (draft)" : " (published)"}
                </span>
                {dirty ? (
                  <Badge tone="amber">unsaved changes</Badge>
                ) : saved ? (
                  <Badge tone="green">saved as v{saved.view.version}</Badge>
                ) : null}
              </span>
            }
          >
            <div className="space-y-3">
              {notice && (
                <Alert tone="green" role="status">
                  {notice}
                </Alert>
              )}
              {error && <Alert>{error}</Alert>}
              <div className="flex flex-wrap items-end gap-3">
                <div className="min-w-64 flex-1">
                  <label htmlFor="policy-description" className="block text-sm font-medium text-slate-700">
                    Change description (optional)
                  </label>
                  <input
                    id="policy-description"
                    value={description}
                    onChange={(e) => setDescription(e.target.value)}
                    maxLength={500}
                    placeholder="What this version changes and why"
                    className={`${inputClass} mt-1`}
                  />
                </div>
                <Button onClick={save} disabled={saving || rules.length === 0}>
                  {saving ? "Saving…" : "Save as draft"}
                </Button>
                <Button
                  variant="secondary"
                  onClick={() => setPublishing(true)}
                  disabled={!publishable}
                  title={publishable ? undefined : "Save the editor as a draft first"}
                >
                  {saved ? `Publish v${saved.view.version}` : "Publish"}
                </Button>
                {dirty && (
                  <Button
                    variant="ghost"
                    onClick={() => {
                      const from = saved?.view ?? base;
                      edit(from.rules.map(toEditable));
                      setDescription("");
                    }}
                  >
                    Discard changes
                  </Button>
                )}
              </div>
              <p className="text-xs text-slate-500">
                Rules run top to bottom and the first whose condition is true decides; if none is, the action is denied.
                New rules are added at the top.
              </p>
              <Button variant="secondary" onClick={() => addRule(blankRule())}>
                + Add rule
              </Button>
            </div>
          </Card>

          {rules.length === 0 ? (
            <Card>
              <p className="text-sm text-slate-600">
                No rules: every action would be denied. Add a rule or an example.
              </p>
            </Card>
          ) : (
            <ol className="space-y-3" aria-label="Rules">
              {rules.map((r, i) => (
                <RuleEditor
                  key={r.key}
                  rule={r}
                  index={i}
                  count={rules.length}
                  errors={errors?.[i] ?? {}}
                  onChange={(next) => {
                    edit(
                      rules.map((x) => (x.key === r.key ? next : x)),
                      true,
                    );
                    setErrors((cur) => clearEdited(cur, i, r, next));
                  }}
                  onMove={(d) => move(i, d)}
                  onRemove={() => edit(rules.filter((x) => x.key !== r.key))}
                />
              ))}
            </ol>
          )}
        </div>
        <div className="space-y-4">
          <ReferencePanel onAdd={(rule: RuleInput) => addRule(toEditable(rule))} />
        </div>
      </div>

      <div className="grid gap-6 xl:grid-cols-2">
        <TestPanel org={org} agents={agents} rules={() => toRuleInputs(rules)} onPolicyErrors={showErrors} />
        <ReplayPanel org={org} version={saved && !dirty ? saved.view.version : null} />
      </div>

      {publishing && saved && (
        <PublishDialog
          org={org}
          target={saved.view}
          active={active}
          onCancel={() => setPublishing(false)}
          onDone={(view) => {
            setPublishing(false);
            setNotice(null);
            // The page re-renders from the new active version.
            router.push(`/${org}/policies?published=${view.version}`);
            router.refresh();
          }}
        />
      )}
    </div>
  );
}
