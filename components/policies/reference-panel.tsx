"use client";

import { EXAMPLE_RULES } from "@/lib/policy/default-policy";
import { CONDITION_VARIABLE_DOCS, POLICY_FUNCTIONS } from "@/lib/policy/cel/docs";
import type { RuleInput } from "@/lib/policy/schemas";
import { EffectBadge } from "../firewall/badges";
import { Button, Card } from "../ui";

/** What a condition can use, and example rules (with "Add" for people who can edit). */
export function ReferencePanel({ onAdd }: { onAdd?: (rule: RuleInput) => void }) {
  return (
    <Card title="Reference">
      <div className="space-y-5 text-sm">
        <p className="text-xs text-slate-600">
          Conditions are{" "}
          <a className="underline" href="https://cel.dev" rel="noreferrer noopener" target="_blank">
            CEL
          </a>{" "}
          expressions that must be true or false. Rules run top to bottom; the first true condition decides; if none is
          true the action is denied. String helpers such as <code className="font-mono">startsWith</code>,{" "}
          <code className="font-mono">contains</code> and <code className="font-mono">lowerAscii</code> work; a
          condition can hold <code className="font-mono">{"//"} comments</code>.
        </p>
        <section aria-labelledby="ref-vars">
          <h3 id="ref-vars" className="mb-2 text-xs font-semibold uppercase text-slate-500">
            Variables
          </h3>
          <dl className="space-y-2">
            {CONDITION_VARIABLE_DOCS.map((v) => (
              <div key={v.name}>
                <dt>
                  <code className="font-mono font-semibold">{v.name}</code>{" "}
                  <span className="text-xs text-slate-500">{v.type}</span>
                </dt>
                <dd className="text-xs text-slate-600">{v.description}</dd>
              </div>
            ))}
          </dl>
        </section>
        <section aria-labelledby="ref-fns">
          <h3 id="ref-fns" className="mb-2 text-xs font-semibold uppercase text-slate-500">
            Functions
          </h3>
          <dl className="space-y-3">
            {POLICY_FUNCTIONS.map((f) => (
              <div key={f.name}>
                <dt>
                  <code className="font-mono text-xs font-semibold">{f.signature}</code>
                </dt>
                <dd className="text-xs text-slate-600">
                  {f.description}
                  <code className="mt-1 block break-all rounded bg-slate-50 px-2 py-1 font-mono text-slate-700">
                    {f.example}
                  </code>
                </dd>
              </div>
            ))}
          </dl>
        </section>
        <section aria-labelledby="ref-examples">
          <h3 id="ref-examples" className="mb-2 text-xs font-semibold uppercase text-slate-500">
            Example rules
          </h3>
          <ul className="space-y-3">
            {EXAMPLE_RULES.map((r) => (
              <li key={r.name} className="rounded-md border border-slate-200 p-2">
                <div className="flex items-center justify-between gap-2">
                  <span className="text-xs font-medium">{r.name}</span>
                  <EffectBadge effect={r.effect} />
                </div>
                <pre className="mt-1 overflow-x-auto font-mono text-xs text-slate-700">{r.condition}</pre>
                {onAdd && (
                  <Button
                    type="button"
                    variant="ghost"
                    className="mt-1 px-2 py-1 text-xs"
                    onClick={() => onAdd(r)}
                    aria-label={`Add example rule: ${r.name}`}
                  >
                    + Add to the editor
                  </Button>
                )}
              </li>
            ))}
          </ul>
        </section>
      </div>
    </Card>
  );
}
