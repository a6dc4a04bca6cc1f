import { describe, expect, it } from "vitest";
import { AUDIT_EVENTS, AUDIT_EVENT_FILTERS } from "@/lib/audit/event-names";
import { listEventsQuerySchema } from "@/lib/audit/schemas";

describe("audit event names", () => {
  it("are unique, family.name in lower case", () => {
    expect(new Set(AUDIT_EVENTS).size).toBe(AUDIT_EVENTS.length);
    for (const name of AUDIT_EVENTS) expect(name).toMatch(/^[a-z_]+\.[a-z_]+$/);
  });

  it("every explorer choice is a filter the events API accepts", () => {
    for (const action of AUDIT_EVENT_FILTERS) {
      expect(listEventsQuerySchema.safeParse({ action }).success, action).toBe(true);
    }
  });

  it("the explorer offers every family as a prefix, agents and the organization included", () => {
    expect(AUDIT_EVENT_FILTERS).toEqual(expect.arrayContaining(["agent.*", "org.*", "action.*", "sso.*"]));
    for (const name of AUDIT_EVENTS) expect(AUDIT_EVENT_FILTERS).toContain(name);
  });
});
