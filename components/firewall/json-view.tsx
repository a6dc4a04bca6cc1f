import { cx } from "../ui";

/** RFC 6901 escaping, matching how redacted paths are recorded. */
function escapePointer(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * Pretty JSON with the values Warden redacted marked: `redacted` holds JSON
 * Pointers from the action's root ("/params/password"), `pointer` is where
 * `value` sits.
 */
export function JsonView({
  value,
  pointer,
  redacted,
  label,
}: {
  value: unknown;
  pointer: string;
  redacted: ReadonlySet<string>;
  label: string;
}) {
  if (value === null || value === undefined) {
    return <p className="text-sm text-slate-500">No {label}.</p>;
  }
  return (
    <pre
      aria-label={label}
      className="overflow-x-auto rounded-md bg-slate-50 p-3 font-mono text-xs leading-5 text-slate-800 ring-1 ring-inset ring-slate-200"
    >
      <Node value={value} pointer={pointer} redacted={redacted} indent={0} />
    </pre>
  );
}

function Node({
  value,
  pointer,
  redacted,
  indent,
}: {
  value: unknown;
  pointer: string;
  redacted: ReadonlySet<string>;
  indent: number;
}) {
  const pad = "  ".repeat(indent + 1);
  const end = "  ".repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return <>[]</>;
    return (
      <>
        {"[\n"}
        {value.map((v, i) => (
          <span key={i}>
            {pad}
            <Node value={v} pointer={`${pointer}/${i}`} redacted={redacted} indent={indent + 1} />
            {i < value.length - 1 ? ",\n" : "\n"}
          </span>
        ))}
        {end}]
      </>
    );
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return <>{"{}"}</>;
    return (
      <>
        {"{\n"}
        {entries.map(([k, v], i) => (
          <span key={k}>
            {pad}
            <span className="text-sky-800">{JSON.stringify(k)}</span>:{" "}
            <Node value={v} pointer={`${pointer}/${escapePointer(k)}`} redacted={redacted} indent={indent + 1} />
            {i < entries.length - 1 ? ",\n" : "\n"}
          </span>
        ))}
        {end}
        {"}"}
      </>
    );
  }
  const text = JSON.stringify(value);
  const isRedacted = redacted.has(pointer);
  return (
    <span
      className={cx(isRedacted && "rounded bg-amber-100 px-1 text-amber-900 ring-1 ring-inset ring-amber-300")}
      data-redacted={isRedacted ? pointer : undefined}
      title={isRedacted ? `Redacted by Warden (${pointer})` : undefined}
    >
      {text}
    </span>
  );
}

/** The redacted paths as a list, for screen readers and for copying. */
export function RedactedPaths({ paths }: { paths: string[] }) {
  if (paths.length === 0) return <p className="text-xs text-slate-500">Nothing was redacted.</p>;
  return (
    <p className="text-xs text-slate-600" data-testid="redacted-paths">
      Redacted before storage (highlighted):{" "}
      {paths.map((p, i) => (
        <span key={p}>
          <code className="rounded bg-amber-50 px-1 font-mono text-amber-900">{p}</code>
          {i < paths.length - 1 ? ", " : ""}
        </span>
      ))}
    </p>
  );
}
