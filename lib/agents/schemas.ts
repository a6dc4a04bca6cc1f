import { z } from "zod";
import { ENVIRONMENTS, toolRegistrySchema } from "../policy";

export const agentSlugSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$/, "Use 1-50 lowercase letters, digits or hyphens");

const registriesSchema = z.strictObject({
  development: toolRegistrySchema.optional(),
  production: toolRegistrySchema.optional(),
});

export const createAgentSchema = z.strictObject({
  slug: agentSlugSchema,
  name: z.string().trim().min(1).max(200),
  environment: z.enum(ENVIRONMENTS),
  /** The registry for the agent's own environment. */
  tools: toolRegistrySchema.optional(),
  /** Registries per environment (the one for `environment` is used). */
  tools_by_environment: registriesSchema.optional(),
  rate_limit_per_minute: z.number().int().min(1).max(100_000).nullish(),
  daily_budget: z.number().int().min(1).max(10_000_000).nullish(),
});

export const updateAgentSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    environment: z.enum(ENVIRONMENTS).optional(),
    tools: toolRegistrySchema.optional(),
    tools_by_environment: registriesSchema.optional(),
    rate_limit_per_minute: z.number().int().min(1).max(100_000).nullish(),
    daily_budget: z.number().int().min(1).max(10_000_000).nullish(),
    disabled: z.boolean().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, "Nothing to change");

export const agentParamsSchema = z.object({ slug: agentSlugSchema });
