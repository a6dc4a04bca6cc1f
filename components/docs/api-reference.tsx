import { Badge, Card, PageHeader } from "../ui";

/**
 * The API reference, rendered on the server from the OpenAPI document: no
 * script, no external asset, so it works offline and under the CSP. Each
 * operation shows who may call it, its parameters, its JSON body schema and its
 * responses; the raw document is one link away (/api/v1/openapi.json).
 */
type Schema = Record<string, unknown>;
type Parameter = { name: string; in: string; required?: boolean; description?: string; schema?: Schema };
type Operation = {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { $ref?: string; description?: string }>;
  "x-warden-permission"?: string;
};
export type OpenApiDocument = {
  info: { title: string; description?: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { responses?: Record<string, { description?: string }> };
};

const METHOD_TONE = { get: "blue", post: "green", put: "amber", patch: "amber", delete: "red" } as const;

function who(op: Operation): string {
  const sec = op.security ?? [];
  if (sec.length === 0) return "anyone";
  const names = sec.map((alt) => Object.keys(alt).join(" + "));
  const text = names
    .join(" or ")
    .replace("apiKey", "API key")
    .replace("session + organization", "session + X-Warden-Org")
    .replace("scimToken", "SCIM token");
  return op["x-warden-permission"] ? `${text} with ${op["x-warden-permission"]}` : text;
}

function responseText(doc: OpenApiDocument, r: { $ref?: string; description?: string }): string {
  if (r.$ref) {
    const name = r.$ref.split("/").at(-1)!;
    return doc.components?.responses?.[name]?.description ?? name;
  }
  return r.description ?? "";
}

/** Groups paths by their first segment after /api/v1 (or /api). */
function groupOf(path: string): string {
  const rest = path.replace(/^\/api\/(v1\/)?/, "");
  return rest.split("/")[0] || "api";
}

export function ApiReference({ doc }: { doc: OpenApiDocument }) {
  const groups = new Map<string, [string, string, Operation][]>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const g = groupOf(path);
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g)!.push([path, method, op]);
    }
  }
  const names = [...groups.keys()].sort();
  return (
    <main className="mx-auto max-w-5xl px-4 py-8">
      <PageHeader
        title={`${doc.info.title} reference`}
        description={
          <>
            {doc.info.description} The machine-readable document:{" "}
            <a className="font-medium underline" href="/api/v1/openapi.json">
              /api/v1/openapi.json
            </a>{" "}
            (OpenAPI 3.1).
          </>
        }
      />
      <nav aria-label="API sections" className="mb-6 flex flex-wrap gap-2 text-sm">
        {names.map((g) => (
          <a key={g} href={`#${g}`} className="rounded border border-slate-200 px-2 py-1 hover:bg-slate-50">
            {g}
          </a>
        ))}
      </nav>
      <div className="space-y-8">
        {names.map((g) => (
          <section key={g} id={g} aria-labelledby={`${g}-title`}>
            <h2 id={`${g}-title`} className="mb-3 text-lg font-semibold text-slate-900">
              {g}
            </h2>
            <div className="space-y-4">
              {groups.get(g)!.map(([path, method, op]) => (
                <Card
                  key={`${method} ${path}`}
                  title={
                    <span className="flex flex-wrap items-center gap-2 break-all font-mono">
                      <Badge tone={METHOD_TONE[method as keyof typeof METHOD_TONE] ?? "slate"}>
                        {method.toUpperCase()}
                      </Badge>
                      {path}
                    </span>
                  }
                >
                  <div id={op.operationId} className="space-y-3 text-sm text-slate-700">
                    {op.summary && <p>{op.summary}</p>}
                    <p>
                      <span className="font-medium text-slate-900">Who may call it:</span> {who(op)}
                    </p>
                    {(op.parameters?.length ?? 0) > 0 && (
                      <div className="overflow-x-auto">
                        <table className="min-w-full text-left text-xs">
                          <caption className="sr-only">Parameters</caption>
                          <thead>
                            <tr className="text-slate-500">
                              <th className="py-1 pr-4 font-medium">parameter</th>
                              <th className="py-1 pr-4 font-medium">in</th>
                              <th className="py-1 pr-4 font-medium">type</th>
                              <th className="py-1 font-medium">required</th>
                            </tr>
                          </thead>
                          <tbody>
                            {op.parameters!.map((p) => (
                              <tr key={`${p.in}:${p.name}`} className="border-t border-slate-100">
                                <td className="py-1 pr-4 font-mono">{p.name}</td>
                                <td className="py-1 pr-4">{p.in}</td>
                                <td className="py-1 pr-4 font-mono">
                                  {String(p.schema?.type ?? (p.schema?.enum ? "enum" : "any"))}
                                  {Array.isArray(p.schema?.enum)
                                    ? ` (${(p.schema!.enum as unknown[]).join(", ")})`
                                    : ""}
                                </td>
                                <td className="py-1">{p.required ? "yes" : "no"}</td>
                              </tr>
                            ))}
                          </tbody>
                        </table>
                      </div>
                    )}
                    {op.requestBody?.content &&
                      Object.entries(op.requestBody.content).map(([type, c]) => (
                        <details key={type}>
                          <summary className="cursor-pointer font-medium text-slate-900">Body ({type})</summary>
                          <pre className="mt-2 max-h-96 overflow-auto rounded bg-slate-50 p-3 text-xs">
                            {JSON.stringify(c.schema ?? {}, null, 2)}
                          </pre>
                        </details>
                      ))}
                    <ul className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600" aria-label="Responses">
                      {Object.entries(op.responses ?? {}).map(([status, r]) => (
                        <li key={status}>
                          <span className="font-mono font-medium text-slate-900">{status}</span> {responseText(doc, r)}
                        </li>
                      ))}
                    </ul>
                  </div>
                </Card>
              ))}
            </div>
          </section>
        ))}
      </div>
    </main>
  );
}
