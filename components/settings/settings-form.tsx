"use client";

import { useState } from "react";
import type { OrgSettings } from "@/lib/orgs/settings";
import { api } from "../api-client";
import { useMutation } from "../use-mutation";
import { Alert, Button, Card, Field, cx, fieldAria, inputClass } from "../ui";

function lines(s: string): string[] {
  return s
    .split(/[\n,]+/)
    .map((x) => x.trim())
    .filter(Boolean);
}

/** The first error of a list field, naming the entry it is about ("sensitive_keys.2"). */
function listError(errors: Record<string, string>, field: string, entries: string[]): string | undefined {
  for (const [path, message] of Object.entries(errors)) {
    if (path === field) return message;
    const m = new RegExp(`^${field}\\.(\\d+)$`).exec(path);
    if (m) return `“${entries[Number(m[1])] ?? `entry ${Number(m[1]) + 1}`}”: ${message}`;
  }
  return undefined;
}

export function SettingsForm({ org, settings }: { org: string; settings: OrgSettings }) {
  const [name, setName] = useState(settings.name);
  const [idle, setIdle] = useState(String(settings.session_idle_timeout_seconds / 60));
  const [absolute, setAbsolute] = useState(String(settings.session_absolute_timeout_seconds / 60));
  const [sensitive, setSensitive] = useState(settings.sensitive_keys.join("\n"));
  const [domains, setDomains] = useState(settings.http_allowed_domains.join("\n"));
  const [cidrs, setCidrs] = useState(settings.http_allowed_private_cidrs.join("\n"));
  const [retention, setRetention] = useState(settings.payload_retention_days?.toString() ?? "");
  const { error, notice, pending, fieldErrors: errors, run, setNotice } = useMutation();

  const body = {
    name: name.trim(),
    session_idle_timeout_seconds: Math.round(Number(idle) * 60),
    session_absolute_timeout_seconds: Math.round(Number(absolute) * 60),
    sensitive_keys: lines(sensitive),
    http_allowed_domains: lines(domains),
    http_allowed_private_cidrs: lines(cidrs),
    payload_retention_days: retention.trim() === "" ? null : Number(retention),
  };

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    await run(
      "save",
      async () => {
        await api<OrgSettings>(org, "/api/v1/org/settings", { method: "PATCH", body });
        setNotice("Settings saved. Changes apply to the next request; each change is in the audit trail.");
      },
      {
        fields:
          /^(name|session_idle_timeout_seconds|session_absolute_timeout_seconds|payload_retention_days|(sensitive_keys|http_allowed_domains|http_allowed_private_cidrs)(\.\d+)?)$/,
      },
    );
  }

  const idleErr = errors.session_idle_timeout_seconds;
  const absErr = errors.session_absolute_timeout_seconds;
  const sensErr = listError(errors, "sensitive_keys", body.sensitive_keys);
  const domErr = listError(errors, "http_allowed_domains", body.http_allowed_domains);
  const cidrErr = listError(errors, "http_allowed_private_cidrs", body.http_allowed_private_cidrs);
  const retErr = errors.payload_retention_days;

  return (
    <form onSubmit={onSubmit} className="space-y-6" aria-label="Organization settings" noValidate>
      {error && <Alert>{error}</Alert>}
      {notice && (
        <Alert tone="green" role="status">
          {notice}
        </Alert>
      )}
      <Card title="Organization">
        <Field id="set-name" label="Name" error={errors.name} hint={`The slug “${settings.slug}” stays the same.`}>
          <input
            id="set-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            maxLength={200}
            className={inputClass}
            {...fieldAria("set-name", { hint: true, error: errors.name })}
          />
        </Field>
      </Card>

      <Card title="Sessions">
        <div className="grid gap-4 md:grid-cols-2">
          <Field
            id="set-idle"
            label="Idle timeout (minutes)"
            hint="Signed out after this long without a request (1 to 1440)."
            error={idleErr}
          >
            <input
              id="set-idle"
              type="number"
              min={1}
              max={1440}
              value={idle}
              onChange={(e) => setIdle(e.target.value)}
              className={inputClass}
              {...fieldAria("set-idle", { hint: true, error: idleErr })}
            />
          </Field>
          <Field
            id="set-absolute"
            label="Absolute timeout (minutes)"
            hint="Signed out this long after signing in, active or not (5 to 43200)."
            error={absErr}
          >
            <input
              id="set-absolute"
              type="number"
              min={5}
              max={43200}
              value={absolute}
              onChange={(e) => setAbsolute(e.target.value)}
              className={inputClass}
              {...fieldAria("set-absolute", { hint: true, error: absErr })}
            />
          </Field>
        </div>
      </Card>

      <Card title="Redaction">
        <p className="mb-2 text-sm text-slate-600">Always redacted (built in):</p>
        <div className="mb-4 flex flex-wrap gap-1">
          {settings.default_sensitive_keys.map((k) => (
            <code key={k} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700">
              {k}
            </code>
          ))}
        </div>
        <Field
          id="set-sensitive"
          label="Extra sensitive parameter names"
          hint="One per line. Values under these keys (also as camelCase, kebab-case, prefixed: “x-iban”) are stored as [REDACTED]; the original is kept encrypted."
          error={sensErr}
        >
          <textarea
            id="set-sensitive"
            rows={4}
            value={sensitive}
            onChange={(e) => setSensitive(e.target.value)}
            className={cx(inputClass, "font-mono")}
            {...fieldAria("set-sensitive", { hint: true, error: sensErr })}
          />
        </Field>
      </Card>

      <Card title="Outbound HTTP (http_proxy connector)">
        <div className="grid gap-4 md:grid-cols-2">
          <Field
            id="set-domains"
            label="Allowed domains"
            hint="One per line: api.example.com, or *.example.com for its subdomains; ports 80 and 443 unless the line names others (api.example.com:8443, 10.0.0.5:8000-8099). Warden's connector calls nothing else."
            error={domErr}
          >
            <textarea
              id="set-domains"
              rows={5}
              value={domains}
              onChange={(e) => setDomains(e.target.value)}
              className={cx(inputClass, "font-mono")}
              {...fieldAria("set-domains", { hint: true, error: domErr })}
            />
          </Field>
          <Field
            id="set-cidrs"
            label="Allowed private address ranges"
            hint="One CIDR per line (10.1.2.0/24). Private, loopback and link-local addresses are refused unless listed here."
            error={cidrErr}
          >
            <textarea
              id="set-cidrs"
              rows={5}
              value={cidrs}
              onChange={(e) => setCidrs(e.target.value)}
              className={cx(inputClass, "font-mono")}
              {...fieldAria("set-cidrs", { hint: true, error: cidrErr })}
            />
          </Field>
        </div>
      </Card>

      <Card title="Retention">
        <Field
          id="set-retention"
          label="Keep action parameters and results for (days)"
          hint="Empty keeps them. After this, parameters are erased; decisions, hashes and the audit trail remain."
          error={retErr}
        >
          <input
            id="set-retention"
            type="number"
            min={1}
            max={3650}
            value={retention}
            onChange={(e) => setRetention(e.target.value)}
            className={cx(inputClass, "max-w-xs")}
            {...fieldAria("set-retention", { hint: true, error: retErr })}
          />
        </Field>
      </Card>

      <Button type="submit" disabled={pending}>
        {pending ? "Saving…" : "Save settings"}
      </Button>
    </form>
  );
}
