export {
  DEFAULT_RISK_LEVEL,
  EFFECTS,
  ENVIRONMENTS,
  POLICY_LIMITS,
  RISK_LEVELS,
  effectSchema,
  evaluationInputSchema,
  policyInputSchema,
  riskLevelSchema,
  ruleInputSchema,
  ruleNameKey,
  type Effect,
  type Environment,
  type EvaluationInput,
  type Policy,
  type PolicyInput,
  type PolicyRule,
  type RiskLevel,
  type RuleInput,
} from "./schemas";
export {
  checkCondition,
  compileRule,
  formatConditionError,
  type CompiledCondition,
  type ConditionError,
  type ConditionResult,
} from "./cel/compile";
export {
  checkPolicyConditions,
  compilePolicy,
  compileStoredPolicy,
  parseAndCompilePolicy,
  type CompiledPolicy,
  type CompiledRule,
  type PolicyConditionError,
} from "./compile";
export {
  DEFAULT_DENY_REASON,
  evaluateCondition,
  evaluatePolicy,
  explainPolicy,
  type Decision,
  type RuleTrace,
} from "./evaluate";
export { COST_LIMITS, CostMeter } from "./cel/cost";
export {
  CONDITION_VARIABLE_DOCS,
  POLICY_FUNCTIONS,
  type ConditionVariableDoc,
  type PolicyFunctionDoc,
} from "./cel/docs";
export {
  MAX_TOOLS_PER_LIST,
  TOOL_NAME_PATTERN,
  checkToolRegistry,
  readRegistries,
  toolRegistrySchema,
  type Registries,
  type ToolRegistry,
  type ToolRegistryInput,
  type ToolRegistryStatus,
} from "./tool-registry";
export { EXAMPLE_RULES, createDefaultPolicy } from "./default-policy";
