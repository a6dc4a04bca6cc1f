import { z } from "zod";
import { ROLES } from "../rbac/permissions";

export const roleSchema = z.enum(ROLES);

export const addMemberSchema = z.object({
  email: z.string().trim().toLowerCase().max(320).pipe(z.email("Enter a valid email address")),
  role: roleSchema,
});

export const changeRoleSchema = z.object({ role: roleSchema });

export const memberParamsSchema = z.object({ userId: z.uuid() });

export const acceptInvitationSchema = z.object({
  token: z.string().min(20).max(200),
  name: z.string().trim().min(1).max(200),
  password: z.string(),
});

export const respondInvitationSchema = z.strictObject({
  token: z.string().min(20).max(200),
  accept: z.boolean(),
});
