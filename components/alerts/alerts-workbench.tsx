"use client";

import { useState } from "react";
import type { ChannelView, DeliveryView } from "@/lib/alerts/channels";
import type { FiringView, SilenceView } from "@/lib/alerts/history";
import type { RuleView } from "@/lib/alerts/rules";
import { api } from "../api-client";
import { useMutation } from "../use-mutation";
import { Dialog } from "../dialog";
import { Alert, Badge, Button, Card, Field, formatUtc, inputClass } from "../ui";

export type AlertsTab = "rules" | "history" | "silences" | "channels" | "deliveries";
type Template = { id: string; name: string; description: string; spec: unknown };
type Simulation = {
  events_scanned: number;
  matched: number;
  errors: { seq: number; error: string }[];
  firings: { group: string; summary: string; window_start: string; triggering: { seq: number }[] }[];
  truncated: boolean;
};

const STATE_TONE = { ok: "green", pending: "amber", firing: "red" } as const;
const MODE_TONE = { active: "blue", shadow: "violet", disabled: "slate" } as const;
const OUTCOME_TONE = { executed: "red", shadow: "violet", silenced: "slate", capped: "amber" } as const;
const DELIVERY_TONE = { pending: "amber", delivered: "green", failed: "red", dead: "red" } as const;

export function AlertsWorkbench(props: {
  org: string;
  tab: AlertsTab;
  canWrite: boolean;
  rules: RuleView[];
  templates: Template[];
  firings: FiringView[];
  silences: SilenceView[];
  channels: ChannelView[];
  deliveries: DeliveryView[];
}) {
  const m = useMutation();
  return (
    <div className="space-y-6">
      {m.error && <Alert tone="red">{m.error}</Alert>}
      {m.notice && <Alert tone="green">{m.notice}</Alert>}
      {props.tab === "rules" && <Rules {...props} m={m} />}
      {props.tab === "history" && <History firings={props.firings} />}
      {props.tab === "silences" && <Silences {...props} m={m} />}
      {props.tab === "channels" && <Channels {...props} m={m} />}
      {props.tab === "deliveries" && <Deliveries {...props} m={m} />}
    </div>
  );
}

type M = ReturnType<typeof useMutation>;

function Rules({
  org,
  canWrite,
  rules,
  templates,
  channels,
  m,
}: {
  org: string;
  canWrite: boolean;
  rules: RuleView[];
  templates: Template[];
  channels: ChannelView[];
  m: M;
}) {
  const [templateId, setTemplateId] = useState(templates[0]?.id ?? "");
  const [name, setName] = useState(templates[0]?.name ?? "");
  const [mode, setMode] = useState<"shadow" | "active">("shadow");
  const [channelId, setChannelId] = useState("");
  const [editing, setEditing] = useState<RuleView | null>(null);
  const template = templates.find((t) => t.id === templateId);

  function createFromTemplate() {
    if (!template) return;
    const spec = JSON.parse(JSON.stringify(template.spec)) as { responses: { type: string; channels?: string[] }[] };
    if (channelId) for (const r of spec.responses) if (r.type === "notify") r.channels = [channelId];
    void m.run("create", async () => {
      await api(org, "/api/v1/alerts/rules", { method: "POST", body: { name, template: templateId, mode, spec } });
      m.setNotice(`Rule "${name}" created (${mode}).`);
    });
  }

  return (
    <>
      {canWrite && (
        <Card title="Create from a template">
          <div className="grid gap-4 md:grid-cols-2">
            <Field id="template" label="Template" hint={template?.description}>
              <select
                id="template"
                className={inputClass}
                value={templateId}
                onChange={(e) => {
                  setTemplateId(e.target.value);
                  setName(templates.find((t) => t.id === e.target.value)?.name ?? "");
                }}
              >
                {templates.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name}
                  </option>
                ))}
              </select>
            </Field>
            <Field id="rule-name" label="Name">
              <input id="rule-name" className={inputClass} value={name} onChange={(e) => setName(e.target.value)} />
            </Field>
            <Field
              id="rule-mode"
              label="Mode"
              hint="Shadow evaluates and records what would have happened, and does nothing."
            >
              <select
                id="rule-mode"
                className={inputClass}
                value={mode}
                onChange={(e) => setMode(e.target.value as "shadow" | "active")}
              >
                <option value="shadow">Shadow</option>
                <option value="active">Active</option>
              </select>
            </Field>
            <Field id="rule-channel" label="Also notify channel" hint="Optional: a channel for the notify response.">
              <select
                id="rule-channel"
                className={inputClass}
                value={channelId}
                onChange={(e) => setChannelId(e.target.value)}
              >
                <option value="">In-app only</option>
                {channels
                  .filter((c) => !c.disabled_at)
                  .map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name} ({c.kind})
                    </option>
                  ))}
              </select>
            </Field>
          </div>
          <div className="mt-4">
            <Button onClick={createFromTemplate} disabled={m.busy !== null || !name.trim()}>
              Create rule
            </Button>
          </div>
        </Card>
      )}
      <Card title={`Rules (${rules.length})`}>
        {rules.length === 0 ? (
          <p className="text-sm text-slate-500">No rules yet. Start from a template.</p>
        ) : (
          <table className="w-full text-left text-sm" data-testid="rules-table">
            <thead className="text-xs uppercase text-slate-500">
              <tr>
                <th className="py-2">Rule</th>
                <th>State</th>
                <th>Mode</th>
                <th>Version</th>
                <th>Last fired</th>
                <th className="sr-only">Actions</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {rules.map((r) => (
                <tr key={r.id} data-testid={`rule-${r.name}`}>
                  <td className="py-2">
                    <div className="font-medium">{r.name}</div>
                    {r.firing_groups.length > 0 && (
                      <div className="text-xs text-slate-500">firing for {r.firing_groups.join(", ")}</div>
                    )}
                  </td>
                  <td>
                    <Badge tone={STATE_TONE[r.state]}>{r.state}</Badge>
                  </td>
                  <td>
                    {canWrite ? (
                      <select
                        aria-label={`Mode of ${r.name}`}
                        className={inputClass}
                        value={r.mode}
                        disabled={m.busy !== null}
                        onChange={(e) =>
                          void m.run(`mode-${r.id}`, async () => {
                            await api(org, `/api/v1/alerts/rules/${r.id}`, {
                              method: "PATCH",
                              body: { mode: e.target.value },
                            });
                          })
                        }
                      >
                        <option value="active">Active</option>
                        <option value="shadow">Shadow</option>
                        <option value="disabled">Disabled</option>
                      </select>
                    ) : (
                      <Badge tone={MODE_TONE[r.mode]}>{r.mode}</Badge>
                    )}
                  </td>
                  <td>v{r.version}</td>
                  <td className="text-xs">{formatUtc(r.last_fired_at)}</td>
                  <td className="text-right">
                    <Button variant="secondary" onClick={() => setEditing(r)}>
                      {canWrite ? "Edit" : "View"}
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      {editing && <RuleEditor org={org} rule={editing} canWrite={canWrite} m={m} onClose={() => setEditing(null)} />}
    </>
  );
}

function RuleEditor({
  org,
  rule,
  canWrite,
  m,
  onClose,
}: {
  org: string;
  rule: RuleView;
  canWrite: boolean;
  m: M;
  onClose: () => void;
}) {
  const [text, setText] = useState(JSON.stringify(rule.spec, null, 2));
  const [days, setDays] = useState(7);
  const [result, setResult] = useState<{ kind: string; sim: Simulation } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  function parsed(): unknown {
    try {
      setProblem(null);
      return JSON.parse(text);
    } catch {
      setProblem("The rule is not valid JSON.");
      return undefined;
    }
  }

  async function simulate(kind: "test" | "backtest") {
    const spec = parsed();
    if (spec === undefined) return;
    try {
      const sim = await api<Simulation>(org, `/api/v1/alerts/rules/${kind}`, {
        method: "POST",
        body: kind === "test" ? { spec, limit: 500 } : { spec, days },
      });
      setResult({ kind, sim });
    } catch (e) {
      setProblem(e instanceof Error ? e.message : "failed");
    }
  }

  return (
    <Dialog title={`${rule.name} (v${rule.version})`} onCancel={onClose} wide>
      <Field
        id="rule-spec"
        label="Rule (JSON)"
        hint="condition is CEL over action, actor, target, ip, data, occurred_at, seq."
      >
        <textarea
          id="rule-spec"
          className={`${inputClass} h-72 font-mono text-xs`}
          value={text}
          readOnly={!canWrite}
          onChange={(e) => setText(e.target.value)}
        />
      </Field>
      {problem && <Alert tone="red">{problem}</Alert>}
      <div className="mt-3 flex flex-wrap items-end gap-2">
        <Button variant="secondary" onClick={() => void simulate("test")}>
          Test against recent events
        </Button>
        <label className="text-sm" htmlFor="backtest-days">
          Days
        </label>
        <input
          id="backtest-days"
          type="number"
          min={1}
          max={30}
          className={`${inputClass} w-20`}
          value={days}
          onChange={(e) => setDays(Number(e.target.value))}
        />
        <Button variant="secondary" onClick={() => void simulate("backtest")}>
          Backtest
        </Button>
        {canWrite && (
          <Button
            disabled={m.busy !== null}
            onClick={() => {
              const spec = parsed();
              if (spec === undefined) return;
              void m.run("save", async () => {
                await api(org, `/api/v1/alerts/rules/${rule.id}`, { method: "PATCH", body: { spec } });
                m.setNotice(`Saved "${rule.name}" as a new version.`);
                onClose();
              });
            }}
          >
            Save as new version
          </Button>
        )}
        <Button variant="secondary" onClick={onClose}>
          Close
        </Button>
      </div>
      {result && (
        <div className="mt-4 text-sm" data-testid="simulation">
          <p>
            {result.kind === "test" ? "Test" : "Backtest"}: {result.sim.events_scanned} events, {result.sim.matched}{" "}
            matched, <strong>{result.sim.firings.length} firing(s)</strong>
            {result.sim.truncated ? " (stopped at the event limit)" : ""}.
          </p>
          {result.sim.errors.length > 0 && (
            <p className="text-amber-800">
              {result.sim.errors.length} evaluation error(s), e.g. seq {result.sim.errors[0]!.seq}:{" "}
              {result.sim.errors[0]!.error}
            </p>
          )}
          <ul className="mt-2 space-y-1">
            {result.sim.firings.slice(0, 20).map((f, i) => (
              <li key={i}>
                {formatUtc(f.window_start)} · {f.summary} (events {f.triggering.map((t) => `#${t.seq}`).join(", ")})
              </li>
            ))}
          </ul>
        </div>
      )}
    </Dialog>
  );
}

function History({ firings }: { firings: FiringView[] }) {
  return (
    <Card title="History">
      {firings.length === 0 ? (
        <p className="text-sm text-slate-500">No rule has fired yet.</p>
      ) : (
        <ol className="space-y-3" data-testid="firings">
          {firings.map((f) => (
            <li key={f.id} className="border-l-2 border-slate-200 pl-3 text-sm">
              <div className="flex flex-wrap items-center gap-2">
                <span className="text-xs text-slate-500">{formatUtc(f.fired_at)}</span>
                <Badge tone={OUTCOME_TONE[f.outcome]}>{f.outcome}</Badge>
                <Badge tone={f.status === "firing" ? "red" : "green"}>{f.status}</Badge>
                <span className="font-medium">
                  {f.rule_name} v{f.rule_version}
                </span>
              </div>
              <p>{f.summary}</p>
              <p className="text-xs text-slate-500">
                Triggering events: {f.triggering.map((t) => `#${t.seq}`).join(", ")} · Responses:{" "}
                {f.responses.map((r) => `${r.type} ${r.status}`).join(", ") || "none"}
              </p>
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}

function Silences({
  org,
  canWrite,
  rules,
  silences,
  m,
}: {
  org: string;
  canWrite: boolean;
  rules: RuleView[];
  silences: SilenceView[];
  m: M;
}) {
  const [ruleId, setRuleId] = useState("");
  const [reason, setReason] = useState("");
  const [hours, setHours] = useState(1);
  return (
    <>
      {canWrite && (
        <Card title="New silence">
          <div className="grid gap-4 md:grid-cols-3">
            <Field id="silence-rule" label="Rule">
              <select
                id="silence-rule"
                className={inputClass}
                value={ruleId}
                onChange={(e) => setRuleId(e.target.value)}
              >
                <option value="">Every rule</option>
                {rules.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name}
                  </option>
                ))}
              </select>
            </Field>
            <Field id="silence-reason" label="Reason">
              <input
                id="silence-reason"
                className={inputClass}
                value={reason}
                onChange={(e) => setReason(e.target.value)}
              />
            </Field>
            <Field id="silence-hours" label="Hours">
              <input
                id="silence-hours"
                type="number"
                min={1}
                max={720}
                className={inputClass}
                value={hours}
                onChange={(e) => setHours(Number(e.target.value))}
              />
            </Field>
          </div>
          <div className="mt-4">
            <Button
              disabled={m.busy !== null || !reason.trim()}
              onClick={() =>
                void m.run("silence", async () => {
                  await api(org, "/api/v1/alerts/silences", {
                    method: "POST",
                    body: { rule_id: ruleId || null, reason, duration_seconds: Math.round(hours * 3600) },
                  });
                  setReason("");
                })
              }
            >
              Silence
            </Button>
          </div>
        </Card>
      )}
      <Card title="Silences">
        {silences.length === 0 ? (
          <p className="text-sm text-slate-500">None.</p>
        ) : (
          <ul className="divide-y divide-slate-100 text-sm">
            {silences.map((s) => (
              <li key={s.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
                <span>
                  <Badge tone={s.active ? "amber" : "slate"}>{s.active ? "active" : "ended"}</Badge>{" "}
                  {s.rule_name ?? "every rule"} — {s.reason} · by {s.created_by ?? "—"} · until{" "}
                  {formatUtc(s.ended_at ?? s.expires_at)}
                </span>
                {canWrite && s.active && (
                  <Button
                    variant="secondary"
                    onClick={() =>
                      void m.run(`end-${s.id}`, async () => {
                        await api(org, `/api/v1/alerts/silences/${s.id}`, { method: "DELETE" });
                      })
                    }
                  >
                    End now
                  </Button>
                )}
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}

function Channels({ org, canWrite, channels, m }: { org: string; canWrite: boolean; channels: ChannelView[]; m: M }) {
  const [kind, setKind] = useState<"webhook" | "slack" | "email">("webhook");
  const [name, setName] = useState("");
  const [target, setTarget] = useState("");
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);

  return (
    <>
      {secret && (
        <Alert tone="green">
          <span data-testid="channel-secret">
            Signing secret for {secret.name} (shown once; verify webhooks with it):{" "}
            <code className="break-all">{secret.secret}</code>
          </span>
        </Alert>
      )}
      {canWrite && (
        <Card title="New channel">
          <div className="grid gap-4 md:grid-cols-3">
            <Field id="channel-kind" label="Kind">
              <select
                id="channel-kind"
                className={inputClass}
                value={kind}
                onChange={(e) => setKind(e.target.value as typeof kind)}
              >
                <option value="webhook">Webhook (Standard Webhooks)</option>
                <option value="slack">Slack incoming webhook</option>
                <option value="email">E-mail</option>
              </select>
            </Field>
            <Field id="channel-name" label="Name">
              <input id="channel-name" className={inputClass} value={name} onChange={(e) => setName(e.target.value)} />
            </Field>
            <Field id="channel-target" label={kind === "email" ? "Recipients (comma-separated)" : "URL"}>
              <input
                id="channel-target"
                className={inputClass}
                value={target}
                onChange={(e) => setTarget(e.target.value)}
              />
            </Field>
          </div>
          <div className="mt-4">
            <Button
              disabled={m.busy !== null || !name.trim() || !target.trim()}
              onClick={() =>
                void m.run("channel", async () => {
                  const body =
                    kind === "email"
                      ? {
                          kind,
                          name,
                          recipients: target
                            .split(",")
                            .map((s) => s.trim())
                            .filter(Boolean),
                        }
                      : { kind, name, url: target.trim() };
                  const created = await api<ChannelView & { secret?: string }>(org, "/api/v1/alerts/channels", {
                    method: "POST",
                    body,
                  });
                  if (created.secret) setSecret({ name, secret: created.secret });
                  setName("");
                  setTarget("");
                })
              }
            >
              Add channel
            </Button>
          </div>
        </Card>
      )}
      <Card title="Channels">
        {channels.length === 0 ? (
          <p className="text-sm text-slate-500">No channels. Notifications go to the in-app inbox only.</p>
        ) : (
          <ul className="divide-y divide-slate-100 text-sm" data-testid="channels">
            {channels.map((c) => (
              <li key={c.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
                <span>
                  <span className="font-medium">{c.name}</span> · {c.kind} · {c.target}{" "}
                  {c.disabled_at ? (
                    <Badge tone="red">disabled: {c.disabled_reason ?? ""}</Badge>
                  ) : (
                    <Badge tone="green">enabled</Badge>
                  )}
                  {c.kind === "webhook" && c.active_secrets > 1 && <Badge tone="violet">rotating</Badge>}
                </span>
                {canWrite && (
                  <span className="flex gap-2">
                    {!c.disabled_at && (
                      <Button
                        variant="secondary"
                        onClick={() =>
                          void m.run(`test-${c.id}`, async () => {
                            await api(org, `/api/v1/alerts/channels/${c.id}/test`, { method: "POST" });
                            m.setNotice(`Test message queued for ${c.name}; see the delivery log.`);
                          })
                        }
                      >
                        Send test
                      </Button>
                    )}
                    {c.kind === "webhook" && (
                      <Button
                        variant="secondary"
                        onClick={() =>
                          void m.run(`rotate-${c.id}`, async () => {
                            const r = await api<{ secret: string }>(
                              org,
                              `/api/v1/alerts/channels/${c.id}/rotate-secret`,
                              {
                                method: "POST",
                              },
                            );
                            setSecret({ name: c.name, secret: r.secret });
                          })
                        }
                      >
                        Rotate secret
                      </Button>
                    )}
                    <Button
                      variant="secondary"
                      onClick={() =>
                        void m.run(`toggle-${c.id}`, async () => {
                          await api(org, `/api/v1/alerts/channels/${c.id}`, {
                            method: "PATCH",
                            body: { enabled: c.disabled_at !== null },
                          });
                        })
                      }
                    >
                      {c.disabled_at ? "Enable" : "Disable"}
                    </Button>
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}

function Deliveries({
  org,
  canWrite,
  deliveries,
  m,
}: {
  org: string;
  canWrite: boolean;
  deliveries: DeliveryView[];
  m: M;
}) {
  return (
    <Card title="Delivery log">
      {deliveries.length === 0 ? (
        <p className="text-sm text-slate-500">Nothing sent yet.</p>
      ) : (
        <table className="w-full text-left text-sm" data-testid="deliveries">
          <thead className="text-xs uppercase text-slate-500">
            <tr>
              <th className="py-2">When</th>
              <th>Channel</th>
              <th>Event</th>
              <th>Status</th>
              <th>Attempts</th>
              <th>Last result</th>
              <th className="sr-only">Actions</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {deliveries.map((d) => (
              <tr key={d.id}>
                <td className="py-2 text-xs">{formatUtc(d.created_at)}</td>
                <td>{d.channel_name}</td>
                <td>{d.event_type}</td>
                <td>
                  <Badge tone={DELIVERY_TONE[d.status]}>{d.status}</Badge>
                </td>
                <td>{d.attempts}</td>
                <td className="max-w-xs truncate text-xs" title={d.last_error ?? undefined}>
                  {d.last_status ?? ""}{" "}
                  {d.last_error ?? (d.next_attempt_at ? `next ${formatUtc(d.next_attempt_at)}` : "")}
                </td>
                <td className="text-right">
                  {canWrite && (
                    <Button
                      variant="secondary"
                      onClick={() =>
                        void m.run(`replay-${d.id}`, async () => {
                          await api(org, `/api/v1/alerts/deliveries/${d.id}/replay`, { method: "POST" });
                          m.setNotice("Replay queued.");
                        })
                      }
                    >
                      Replay
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
