import { describe, expectTypeOf, it } from "vitest";
import type { Effect, RiskLevel } from "@/lib/policy/schemas";
import type { Decision, SubmittedAction } from "@/lib/sdk";

// The SDK has zero imports from the server code, so it spells its own unions; these checks
// (run by `tsc --noEmit` in npm test) keep them equal to the server's single definitions.
describe("the SDK's unions are the server's", () => {
  it("decisions are the policy effects", () => {
    expectTypeOf<Decision>().toEqualTypeOf<Effect>();
  });
  it("risk levels are the policy risk levels", () => {
    expectTypeOf<SubmittedAction["risk_level"]>().toEqualTypeOf<RiskLevel>();
  });
});
