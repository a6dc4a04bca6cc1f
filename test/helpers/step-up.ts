import { generate } from "otplib";
import { expect } from "vitest";
import { POST as verifyStepUpRoute } from "@/app/api/v1/account/step-up/[id]/route";
import { POST as beginStepUpRoute } from "@/app/api/v1/account/step-up/route";
import { POST as confirmTotp } from "@/app/api/v1/account/totp/confirm/route";
import { POST as beginTotp } from "@/app/api/v1/account/totp/route";
import { owner } from "./db";
import { call } from "./http";

/**
 * Step-up for tests that act as a person with a second factor: enrol TOTP
 * through the account API, then open and verify grants with computed codes.
 * Each TOTP step is accepted once (in the database), so before each code the
 * user's last used step is cleared, as a test running faster than 30 s must.
 */
export async function enrolTotp(cookie: string): Promise<string> {
  const begun = await call(beginTotp, { method: "POST", cookie });
  expect(begun.status).toBe(201);
  const secret = begun.json.secret as string;
  const confirmed = await call(confirmTotp, { method: "POST", cookie, body: { code: await generate({ secret }) } });
  expect(confirmed.status).toBe(200);
  return secret;
}

export async function freshTotpCode(userId: string, secret: string): Promise<string> {
  await owner().query(`UPDATE user_totp SET last_used_step = NULL WHERE user_id = $1`, [userId]);
  return generate({ secret });
}

/** Opens a grant (POST /api/v1/account/step-up) and verifies it with a TOTP code; returns its id. */
export async function totpStepUp(
  s: { cookie: string; userId: string; secret: string },
  body: { purpose: string; org?: string; target_id?: string },
): Promise<string> {
  const g = await call(beginStepUpRoute, { method: "POST", cookie: s.cookie, body });
  expect(g.status).toBe(201);
  const v = await call(verifyStepUpRoute, {
    method: "POST",
    cookie: s.cookie,
    params: { id: g.json.step_up_id },
    body: { method: "totp", code: await freshTotpCode(s.userId, s.secret) },
  });
  expect(v.status).toBe(200);
  return g.json.step_up_id as string;
}

export const stepUpHeader = (id: string) => ({ "x-warden-step-up": id });
