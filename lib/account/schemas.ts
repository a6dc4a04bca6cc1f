import { z } from "zod";
import { PASSWORD_MAX_LENGTH } from "../auth/password";
import { registrationResponseSchema } from "../auth/webauthn";

export const updateProfileSchema = z.object({
  name: z.string().trim().min(1, "Enter a name").max(200),
});

export const changePasswordSchema = z.object({
  current_password: z.string().min(1, "Enter your current password").max(PASSWORD_MAX_LENGTH),
  new_password: z.string().max(PASSWORD_MAX_LENGTH, `Use at most ${PASSWORD_MAX_LENGTH} characters`),
});

export const confirmTotpSchema = z.object({
  code: z
    .string()
    .trim()
    .regex(/^\d{6}$/, "Enter the 6-digit code from your app"),
});

export const finishPasskeySchema = z.object({
  challenge_id: z.string().uuid(),
  name: z.string().trim().min(1, "Name this passkey").max(100),
  response: registrationResponseSchema,
});

export const renamePasskeySchema = z.object({ name: z.string().trim().min(1, "Name this passkey").max(100) });

export const idParams = z.object({ id: z.string().uuid() });
