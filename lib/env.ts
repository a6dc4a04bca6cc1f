import { z } from "zod";

/**
 * The only module that reads process.env. Values are validated once, lazily, so
 * that `next build` (which imports route modules) does not need runtime secrets.
 */
const schema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  /** Connection string for the unprivileged app role (warden_app). */
  APP_DATABASE_URL: z.string().url(),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  /**
   * Connections one organization may hold at once in each pool (the bulkhead):
   * an organization stuck on a lock keeps the rest of the pool for the others.
   * Default: half the pool, at least 1. See docs/RELIABILITY.md.
   */
  DB_POOL_MAX_PER_ORG: z.coerce.number().int().min(1).max(200).optional(),
  /** How long a statement waits for a row lock before the request gets 503 + Retry-After (ms). */
  DB_LOCK_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2_000),
  /** The longest a request's statement may run (ms; long jobs raise it for their own transaction). */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  /** How long a transaction may sit idle (its process frozen or partitioned) before the server ends it (ms). */
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  NEXTAUTH_SECRET: z.string().min(32, "NEXTAUTH_SECRET must be at least 32 characters"),
  NEXTAUTH_URL: z.string().url().optional(),
  /**
   * How many reverse-proxy hops in front of Warden append to X-Forwarded-For.
   * 0 (default) means the socket address is the client and X-Forwarded-For is
   * ignored entirely.
   */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(5).default(0),
  /** Rate-limit counters live in Postgres by default, in Redis when this is set. */
  REDIS_URL: z.string().url().optional(),
  /** Requests per minute for an API key without its own limit. */
  RATE_LIMIT_KEY_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
  /** Requests per minute for all API keys of one organization together. */
  RATE_LIMIT_ORG_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(6000),
  /**
   * "Continue with SSO" starts (GET /api/sso/start) per client address per minute. Each start
   * writes a request row and may fetch the IdP's discovery document, so it is bounded.
   */
  RATE_LIMIT_SSO_START_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),
  /**
   * AES-256-GCM key ring for action parameters at rest: `kid:base64key,kid:base64key`.
   * The first key encrypts (unless WARDEN_ENCRYPTION_ACTIVE_KEY names another); all decrypt.
   */
  WARDEN_ENCRYPTION_KEYS: z.string().min(1),
  WARDEN_ENCRYPTION_ACTIVE_KEY: z.string().optional(),
  /** Ed25519 signing key ring for audit checkpoints (see lib/audit/checkpoint.ts parseSigningKeyring). */
  WARDEN_AUDIT_SIGNING_KEYS: z.string().min(1),
  /**
   * The origin of every organization's transparency log (c2sp.org/tlog-checkpoint):
   * a schema-less URL such as `warden.example.com`, to which `/audit/<org id>`
   * is appended. Default: the host of NEXTAUTH_URL, else `localhost`. Keep it
   * stable: it is the name in every signed note and verifier key.
   */
  WARDEN_LOG_ORIGIN: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9][A-Za-z0-9.:_~/-]*$/, "a schema-less URL such as warden.example.com (no spaces, no +)")
    .refine((s) => !s.includes("://") && !s.endsWith("/"), "a schema-less URL without a trailing slash")
    .optional(),
  /**
   * The bearer token Prometheus presents to GET /metrics (at least 32
   * characters). Unset: /metrics answers 404, nothing is exposed.
   */
  METRICS_TOKEN: z.string().min(32, "at least 32 characters").max(512).optional(),
  /** How often pending approvals past their expiry are swept (seconds). */
  APPROVAL_SWEEP_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  /**
   * How often each organization whose log grew gets a signed checkpoint
   * (minutes, once per interval across all instances; fractions such as 0.05
   * = 3 s are for tests).
   */
  CHECKPOINT_INTERVAL_MINUTES: z.coerce.number().min(0.02).max(1440).default(60),
  /** How often action payloads past their organization's retention period are expired (minutes; fractions allowed). */
  RETENTION_SWEEP_INTERVAL_MINUTES: z.coerce.number().min(0.02).max(1440).default(60),
  /**
   * Which connector each agent environment gets: sandbox (records, sends
   * nothing) or live. Default: development=sandbox,production=live.
   */
  WARDEN_CONNECTOR_MODES: z
    .string()
    .regex(
      /^\s*(development|production)=(sandbox|live)\s*(,\s*(development|production)=(sandbox|live)\s*)*$/,
      "e.g. development=sandbox,production=live",
    )
    .optional(),
  /** Enables the benchmark floor route (POST /api/v1/_bench/floor). Never in production. */
  WARDEN_BENCH_ROUTES: z
    .enum(["0", "1", "true", "false"])
    .default("0")
    .transform((v) => v === "1" || v === "true"),
  /** Outgoing e-mail (alert channels, invitations, security notices): smtp://user:pass@host:port or smtps://…. Unset: no e-mail. */
  SMTP_URL: z.string().url().optional(),
  /** The From address of Warden's e-mail. */
  SMTP_FROM: z.string().min(3).max(320).default("Warden <warden@localhost>"),
  /** How often each instance looks for new audit events to evaluate against alert rules (milliseconds). */
  ALERT_EVALUATION_INTERVAL_MS: z.coerce.number().int().min(20).max(60_000).default(200),
  /** Runs the alert evaluator and the delivery worker in this process (set 0 on instances that should not). */
  WARDEN_ALERT_WORKERS: z
    .enum(["0", "1", "true", "false"])
    .default("1")
    .transform((v) => v === "1" || v === "true"),
  /**
   * Accept http:// identity-provider URLs for SSO connections (tests and local
   * IdPs only). Off by default: issuers, endpoints and SAML entry points must be https.
   */
  WARDEN_SSO_ALLOW_HTTP: z
    .enum(["0", "1", "true", "false"])
    .default("0")
    .transform((v) => v === "1" || v === "true"),
  /**
   * Private CIDRs an OIDC identity provider may be reached at (comma-separated, e.g.
   * `127.0.0.1/32` for local test IdPs, or an internal IdP's network). Unset: Warden's own
   * requests to IdPs (discovery, JWKS, token, userinfo) go to public addresses only.
   */
  WARDEN_SSO_PRIVATE_IDP_CIDRS: z.string().max(2000).optional(),
  /** DNS servers for domain verification (`host[:port]`, comma-separated); unset: the system's resolver. */
  WARDEN_DNS_SERVERS: z.string().max(500).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type Env = z.infer<typeof schema>;

let cached: Env | undefined;

export function env(): Env {
  if (cached) return cached;
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid environment: ${issues}`);
  }
  cached = parsed.data;
  return cached;
}

/** True when the public URL is https: cookies then get the Secure flag and __Secure- prefix. */
export function secureCookies(): boolean {
  return env().NEXTAUTH_URL?.startsWith("https://") ?? false;
}

const logLevelSchema = schema.shape.LOG_LEVEL;

/** The log level alone, readable before (or without) the full environment being valid. */
export function logLevel(): z.infer<typeof logLevelSchema> {
  const parsed = logLevelSchema.safeParse(process.env.LOG_LEVEL);
  return parsed.success ? parsed.data : "info";
}
