/**
 * Reference material for the policy editor. Dependency-free so client
 * components can import it without pulling the CEL engine into the bundle.
 */
export type ConditionVariableDoc = { readonly name: string; readonly type: string; readonly description: string };

/** The variables a condition can use, as the policy editor lists them. */
export const CONDITION_VARIABLE_DOCS: readonly ConditionVariableDoc[] = [
  {
    name: "agent",
    type: "map: slug, name, environment (strings)",
    description: 'The agent submitting the action, e.g. agent.slug == "billing-bot".',
  },
  { name: "tool", type: "string", description: 'The tool the agent wants to use, e.g. "http_proxy".' },
  { name: "operation", type: "string", description: 'The operation on that tool, e.g. "create_payment".' },
  {
    name: "params",
    type: "map (JSON)",
    description:
      "The action's parameters as sent by the agent. Numbers are doubles; a missing key is an error (use has(params.x)).",
  },
  {
    name: "context",
    type: "map (JSON)",
    description: "Extra context sent with the action (e.g. context.source_ip). Same rules as params.",
  },
  { name: "env", type: "string", description: 'The environment of the API key: "development" or "production".' },
];

export type PolicyFunctionDoc = {
  readonly name: string;
  readonly signature: string;
  readonly description: string;
  readonly example: string;
};

/** The helper functions, as the policy editor lists them (lib/policy/functions.ts implements them). */
export const POLICY_FUNCTIONS: readonly PolicyFunctionDoc[] = [
  {
    name: "url_host_in",
    signature: "url_host_in(url: string, patterns: list(string)) -> bool",
    description:
      'True when the URL\'s host matches an exact host ("api.example.com") or a subdomain wildcard ("*.example.org" matches a.example.org and a.b.example.org, not example.org). Case-insensitive; malformed URLs never match.',
    example: 'url_host_in(params.url, ["api.github.com", "*.example.org"])',
  },
  {
    name: "host_in",
    signature: "host_in(host: string, patterns: list(string)) -> bool",
    description: "The same match for a bare host name (no scheme, port or path).",
    example: 'host_in(params.domain, ["example.com", "*.example.com"])',
  },
  {
    name: "url_host",
    signature: "url_host(url: string) -> string",
    description: 'The lower-case host of the URL, or "" when it is malformed.',
    example: 'url_host(params.url) == "api.github.com"',
  },
  {
    name: "url_scheme",
    signature: "url_scheme(url: string) -> string",
    description: 'The lower-case scheme of the URL without ":", or "" when it is malformed.',
    example: 'url_scheme(params.url) == "https"',
  },
  {
    name: "http_method_is",
    signature: "http_method_is(method: string, expected: string) -> bool",
    description: "Case-insensitive HTTP method comparison; malformed methods never match.",
    example: 'http_method_is(params.method, "GET")',
  },
  {
    name: "http_method_in",
    signature: "http_method_in(method: string, methods: list(string)) -> bool",
    description: "True when the method is one of the listed methods (case-insensitive).",
    example: 'http_method_in(params.method, ["GET", "HEAD"])',
  },
  {
    name: "ip_in_cidr",
    signature: "ip_in_cidr(ip: string, cidr: string | list(string)) -> bool",
    description:
      "True when the IPv4/IPv6 address lies in the CIDR range (or one of the ranges). IPv4-mapped IPv6 addresses count as IPv4. Malformed or non-canonical addresses (127.1, 010.0.0.1) never match, so prefer allow rules.",
    example: 'ip_in_cidr(context.source_ip, ["10.0.0.0/8", "fd00::/8"])',
  },
];
