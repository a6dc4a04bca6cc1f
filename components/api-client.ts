"use client";

/** Problem details as the API returns them (RFC 9457). */
export type ApiProblem = {
  status: number;
  title: string;
  detail: string;
  code?: string;
  request_id?: string;
  errors?: { path: string; message: string }[];
};

export class ApiError extends Error {
  constructor(readonly problem: ApiProblem) {
    super(problem.detail || problem.title);
  }
}

/**
 * Calls the REST API as the signed-in user, in one organization. Mutations go
 * through the same endpoints agents and scripts use.
 */
export async function api<T = unknown>(
  org: string | null,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json", ...init.headers };
  if (org) headers["x-warden-org"] = org;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError({
      status: 0,
      title: "Network error",
      detail: "Could not reach Warden. Check your connection and try again.",
    });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const p = (data ?? {}) as Partial<ApiProblem>;
    throw new ApiError({
      status: res.status,
      title: p.title ?? res.statusText,
      detail: p.detail ?? `Request failed (${res.status})`,
      code: p.code,
      request_id: p.request_id,
      errors: p.errors,
    });
  }
  return data as T;
}

export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    const fields = e.problem.errors?.map((f) => `${f.path}: ${f.message}`).join("; ");
    return fields ? `${e.problem.detail} (${fields})` : e.problem.detail;
  }
  return "Something went wrong. Try again.";
}

/** The problem's per-field errors by path (the first message for each path). */
export function fieldErrorsOf(e: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (e instanceof ApiError) {
    for (const f of e.problem.errors ?? []) out[f.path] ??= f.message;
  }
  return out;
}

/**
 * The problem's detail for a form that shows some field errors next to their
 * fields: those are pointed at, the others are listed.
 */
export function describeErrorForForm(
  e: unknown,
  shownNextToField: (path: string) => boolean,
  where = "marked below",
): string {
  if (!(e instanceof ApiError)) return describeError(e);
  const fields = e.problem.errors ?? [];
  const elsewhere = fields.filter((f) => !shownNextToField(f.path));
  const marked = fields.length - elsewhere.length;
  const detail = e.problem.detail.replace(/[.\s]*$/, ".");
  const rest = elsewhere.map((f) => `${f.path}: ${f.message}`).join("; ");
  return [detail, rest, marked > 0 ? `See the ${marked === 1 ? "field" : "fields"} ${where}.` : ""]
    .filter(Boolean)
    .join(" ");
}
