import { compileStoredPolicy, evaluatePolicy, explainPolicy, policyInputSchema } from "./lib/policy";
const rules = policyInputSchema.parse({ rules: [{ name: "nested", condition: "params.l.all(a, params.l.all(b, b == 0))", effect: "allow" }, { name: "rest", condition: "true", effect: "allow" }] }).rules;
const p = compileStoredPolicy(rules);
const input = { agent: { slug: "a", name: "a", environment: "production" }, tool: "t", operation: "o", params: { l: Array.from({ length: 4000 }, () => 0) }, context: {}, env: "production" as const };
const ts: string[] = [];
for (let i = 0; i < 30; i++) { const t = performance.now(); evaluatePolicy(p, input); ts.push((performance.now() - t).toFixed(1)); }
console.log(ts.join(" "));
