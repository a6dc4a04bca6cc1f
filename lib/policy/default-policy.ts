import type { PolicyInput, RuleInput } from "./schemas";

/**
 * Starting points the editor can offer; each compiles as it stands. In a real
 * policy the deny comes first: the first matching rule decides.
 */
export const EXAMPLE_RULES: readonly RuleInput[] = [
  {
    name: "Block deletes in production",
    condition: [
      'env == "production"',
      '  && (operation in ["delete", "destroy", "drop", "truncate"] || operation.startsWith("delete_"))',
    ].join("\n"),
    effect: "deny",
    risk_level: "critical",
    reason: "Destructive operations are not allowed in production",
  },
  {
    name: "Approve large payments",
    condition: 'tool == "payments" && operation == "create_payment" && params.amount > 500',
    effect: "require_approval",
    risk_level: "high",
    reason: "Payments over 500 need two approvals",
    approvals_required: 2,
    approval_ttl_seconds: 3600,
  },
  {
    name: "Allow reads from allowlisted APIs",
    condition: [
      'tool == "http_proxy"',
      '  && http_method_in(params.method, ["GET", "HEAD"])',
      '  && url_scheme(params.url) == "https"',
      '  && url_host_in(params.url, ["api.github.com", "*.example.com"])',
    ].join("\n"),
    effect: "allow",
    risk_level: "low",
    reason: "Read-only HTTPS request to an allowlisted API",
  },
  {
    name: "Allow database reads from the internal network",
    condition:
      'tool == "postgres" && operation == "select" && ip_in_cidr(context.source_ip, ["10.0.0.0/8", "fd00::/8"])',
    effect: "allow",
    risk_level: "low",
    reason: "Read-only query from an internal address",
  },
];

function describe(rule: RuleInput): string {
  const extras = [`effect: ${rule.effect}`];
  if (rule.risk_level !== undefined) extras.push(`risk: ${rule.risk_level}`);
  if (rule.approvals_required != null) extras.push(`approvals: ${rule.approvals_required}`);
  const body = rule.condition.split("\n").map((line) => `//   ${line}`);
  return [`// ${rule.name} (${extras.join(", ")})`, ...body].join("\n");
}

// @bufbuild/cel accepts "//" line comments, so the examples ride along inside
// the default rule where the editor shows them without extra UI.
const DEFAULT_CONDITION = [
  "// Every action is denied unless a rule above this one allows it or asks",
  "// for approval. Rules run top to bottom; the first whose condition is",
  "// true decides. Example conditions, each to be added as its own rule:",
  "//",
  EXAMPLE_RULES.map(describe).join("\n//\n"),
  "true",
].join("\n");

/** The policy a new organization starts with: deny everything. A fresh object each call. */
export function createDefaultPolicy(): PolicyInput {
  return {
    rules: [
      {
        name: "Default deny",
        condition: DEFAULT_CONDITION,
        effect: "deny",
        risk_level: "high",
        reason: "No rule allows this action (default deny)",
      },
    ],
  };
}
