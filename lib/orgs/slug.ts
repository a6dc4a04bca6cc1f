import { z } from "zod";

/** Slugs that would shadow app routes. */
export const RESERVED_SLUGS = new Set([
  "api",
  "login",
  "logout",
  "invite",
  "_next",
  "static",
  "public",
  "favicon.ico",
  "robots.txt",
  "settings",
  "admin",
  "new",
  "health",
  "auth",
  "account",
  "metrics",
  "docs",
]);

export const orgSlugSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, "Use 1-40 lowercase letters, digits or hyphens")
  .refine((s) => !RESERVED_SLUGS.has(s), "This slug is reserved");
