/**
 * Warden's TypeScript client for agents. Zero dependencies (global fetch,
 * Node 18+ or any browser-like runtime), no imports from the server code.
 *
 *   const warden = new WardenClient({ baseUrl: "https://warden.example.com", apiKey: process.env.WARDEN_API_KEY! });
 *   const result = await warden.guard("payments", "create_payment", { amount: 900 }, () => payments.create(...));
 */

export type Decision = "allow" | "deny" | "require_approval";
export type ActionStatus =
  | "allowed"
  | "denied"
  | "pending"
  | "approved"
  | "rejected"
  | "expired"
  | "cancelled"
  | "executing"
  | "executed"
  | "failed";

export type SubmittedAction = {
  id: string;
  status: "allowed" | "denied" | "pending";
  decision: Decision;
  risk_level: "low" | "medium" | "high" | "critical";
  reason: string;
  rule: { index: number; name: string } | null;
  policy_version: number | null;
  approval: { id: string; required: number; expires_at: string } | null;
  agent: { id: string; slug: string };
  payload_hash: string;
  created_at: string;
};

export type ActionState = {
  id: string;
  status: ActionStatus;
  decision: Decision;
  risk_level: string;
  reason: string;
  rule: { index: number; name: string | null } | null;
  approval: { id: string; status: string; required: number; approvals: number; expires_at: string } | null;
  result: unknown;
  error: string | null;
  [key: string]: unknown;
};

export type Problem = {
  status: number;
  title: string;
  detail: string;
  code?: string;
  request_id?: string;
  errors?: { path: string; message: string }[];
};

/** A request Warden refused (4xx/5xx), with its RFC 9457 problem details. */
export class WardenError extends Error {
  constructor(
    readonly problem: Problem,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.name = "WardenError";
  }
}

/** guard() refused to run the function: the action was denied, rejected, expired or cancelled. */
export class WardenDeniedError extends Error {
  constructor(readonly action: ActionState | SubmittedAction) {
    super(`Warden did not allow ${action.id}: ${action.status} (${action.reason})`);
    this.name = "WardenDeniedError";
  }
}

export type WardenClientOptions = {
  baseUrl: string;
  apiKey: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Per-request timeout for non-waiting requests (ms). */
  timeoutMs?: number;
};

const FINAL_OK: ActionStatus[] = ["allowed", "approved", "executed"];

export class WardenClient {
  private readonly base: string;
  private readonly key: string;
  private readonly doFetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(opts: WardenClientOptions) {
    if (!/^wdn_(live|test)_/.test(opts.apiKey))
      throw new Error("WardenClient: apiKey must be a Warden API key (wdn_live_… or wdn_test_…)");
    this.base = opts.baseUrl.replace(/\/+$/, "");
    this.key = opts.apiKey;
    this.doFetch = opts.fetch ?? fetch;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    timeoutMs = this.timeoutMs,
  ): Promise<T> {
    const res = await this.doFetch(`${this.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.key}`,
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const data: unknown = text ? JSON.parse(text) : null;
    if (!res.ok) {
      const retry = res.headers.get("retry-after");
      throw new WardenError(
        (data as Problem) ?? { status: res.status, title: res.statusText, detail: text },
        retry ? Number(retry) : null,
      );
    }
    return data as T;
  }

  /** Asks Warden before acting. Pass an idempotencyKey to make retries safe. */
  submitAction(
    action: { tool: string; operation: string; params?: Record<string, unknown>; context?: Record<string, unknown> },
    opts: { idempotencyKey?: string } = {},
  ): Promise<SubmittedAction> {
    return this.request(
      "POST",
      "/api/v1/actions",
      action,
      opts.idempotencyKey ? { "idempotency-key": opts.idempotencyKey } : {},
    );
  }

  /** The action's current state; with waitSeconds (≤ 30) the server holds the request while it is pending. */
  getAction(id: string, opts: { waitSeconds?: number } = {}): Promise<ActionState> {
    const wait = Math.max(0, Math.min(30, Math.floor(opts.waitSeconds ?? 0)));
    return this.request(
      "GET",
      `/api/v1/actions/${encodeURIComponent(id)}${wait ? `?wait=${wait}` : ""}`,
      undefined,
      {},
      this.timeoutMs + wait * 1000,
    );
  }

  /** Long-polls until the action is no longer pending (approved, rejected, expired, cancelled) or the timeout passes. */
  async waitForDecision(id: string, opts: { timeoutMs?: number } = {}): Promise<ActionState> {
    const deadline = Date.now() + (opts.timeoutMs ?? 10 * 60_000);
    for (;;) {
      const remaining = deadline - Date.now();
      const state = await this.getAction(id, { waitSeconds: Math.max(0, Math.min(30, Math.floor(remaining / 1000))) });
      if (state.status !== "pending" || Date.now() >= deadline) return state;
    }
  }

  /** Has Warden run an allowed or approved action on a managed connector (http_proxy). */
  execute(id: string): Promise<{ id: string; status: "executed" | "failed"; result: unknown; error: string | null }> {
    return this.request("POST", `/api/v1/actions/${encodeURIComponent(id)}/execute`, undefined, {}, 130_000);
  }

  whoami(): Promise<{
    organization: { slug: string; name: string };
    key: { scopes: string[]; expires_at: string | null; environment: string };
  }> {
    return this.request("GET", "/api/v1/auth/whoami");
  }

  /**
   * Runs `fn` only once Warden allows the action: at once when allowed, after
   * approval when it requires one (waiting up to `approvalTimeoutMs`). Throws
   * WardenDeniedError when denied, rejected, expired or cancelled — `fn` never runs.
   */
  async guard<T>(
    tool: string,
    operation: string,
    params: Record<string, unknown>,
    fn: (action: SubmittedAction) => Promise<T> | T,
    opts: { context?: Record<string, unknown>; idempotencyKey?: string; approvalTimeoutMs?: number } = {},
  ): Promise<T> {
    const submitted = await this.submitAction(
      { tool, operation, params, context: opts.context },
      { idempotencyKey: opts.idempotencyKey ?? globalThis.crypto.randomUUID() },
    );
    if (submitted.status === "allowed") return fn(submitted);
    if (submitted.status === "denied") throw new WardenDeniedError(submitted);
    const final = await this.waitForDecision(submitted.id, { timeoutMs: opts.approvalTimeoutMs });
    if (!FINAL_OK.includes(final.status)) throw new WardenDeniedError(final);
    return fn(submitted);
  }
}
