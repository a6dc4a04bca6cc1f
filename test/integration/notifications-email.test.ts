import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as addMemberRoute } from "@/app/api/v1/members/route";
import { POST as reissueRoute } from "@/app/api/v1/members/[userId]/invitation/route";
import { changePassword } from "@/lib/account/profile";
import { startAlertWorkers, stopAlertWorkers } from "@/lib/alerts/worker";
import { closeDb } from "@/lib/db/client";
import { withUser } from "@/lib/db/tenant";
import { getInvitation } from "@/lib/members/invitations";
import { queueSecurityNotice } from "@/lib/notifications/security-notices";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, uniqueSlug, type TestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";

/**
 * Invitations and security notices by e-mail, against a real SMTP server
 * (smtp-server) started here. Addresses starting with "bounce" are refused by
 * the server (550), as a mail server that is up but will not take the message.
 */
type Mail = { to: string[]; raw: string; subject: string; text: string };
const mails: Mail[] = [];
let smtp: SMTPServer;
let t: TestOrg;
let cookie: string;

/** The message's text part (nodemailer writes it quoted-printable when it must). */
function decode(raw: string): Mail {
  const [head = "", ...rest] = raw.split(/\r?\n\r?\n/);
  const body = rest.join("\n\n");
  const qp = /content-transfer-encoding:\s*quoted-printable/i.test(head);
  const text = qp
    ? body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    : body;
  const subject = /^subject: (.*(?:\r?\n[ \t].*)*)/im.exec(head)?.[1]?.replace(/\r?\n[ \t]/g, " ") ?? "";
  return { to: [], raw, subject, text: Buffer.from(text, "latin1").toString("utf8") };
}

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onRcptTo(address, _session, cb) {
      if (address.address.startsWith("bounce")) cb(Object.assign(new Error("no such mailbox"), { responseCode: 550 }));
      else cb();
    },
    onData(stream, session, cb) {
      let data = "";
      stream.on("data", (c: Buffer) => (data += c.toString("latin1")));
      stream.on("end", () => {
        mails.push({ ...decode(data), to: session.envelope.rcptTo.map((r) => r.address) });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", () => r()));
  // Read once by lib/env on first use, which has not happened yet in this file.
  process.env.SMTP_URL = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  t = await createTestOrg("mail");
  cookie = (await sessionCookie(t.users.admin.id)).cookie;
});

afterAll(async () => {
  await stopAlertWorkers();
  await new Promise<void>((r) => smtp.close(() => r()));
  await closeOwner();
  await closeDb();
});

async function waitFor<T>(fn: () => T | null | undefined | Promise<T | null | undefined>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

const mailTo = (address: string) => mails.filter((m) => m.to.includes(address));
const links = (text: string) => text.match(/[a-z][a-z0-9+.-]*:\/\/\S+/gi) ?? [];

describe("invitations by e-mail", () => {
  it("a new member gets the one-time link (from NEXTAUTH_URL, the only link), and a new link revokes the first", async () => {
    const email = `${uniqueSlug("inv")}@example.com`;
    const res = await call(addMemberRoute, {
      method: "POST",
      cookie,
      org: t.org.slug,
      // A forged Host must not end up in the e-mailed link.
      headers: { host: "evil.example" },
      body: { email, role: "approver" },
    });
    expect(res.status).toBe(201);
    expect(res.json.invitation.email_status).toBe("sent");
    const mail = mailTo(email)[0]!;
    expect(mail.subject).toContain(t.org.name);
    expect(links(mail.text)).toEqual([`http://localhost:3999${res.json.invitation.path}`]);
    const token = String(res.json.invitation.path).split("/").pop()!;
    expect(await getInvitation(token)).toMatchObject({ email });

    const again = await call(reissueRoute, {
      method: "POST",
      cookie,
      org: t.org.slug,
      params: { userId: res.json.member.user_id },
    });
    expect(again.status).toBe(201);
    expect(again.json.email_status).toBe("sent");
    expect(mailTo(email)).toHaveLength(2);
    expect(links(mailTo(email)[1]!.text)).toEqual([`http://localhost:3999${again.json.path}`]);
    expect(await getInvitation(token)).toBeNull();
  });

  it("an existing account gets the same invitation e-mail as a new address; a refused address still gets a link, said so", async () => {
    const other = await createTestOrg("mail-other");
    const before = mails.length;
    const existing = await call(addMemberRoute, {
      method: "POST",
      cookie,
      org: t.org.slug,
      body: { email: other.users.viewer.email, role: "viewer" },
    });
    expect(existing.status).toBe(201);
    expect(existing.json.invitation.email_status).toBe("sent");
    expect(mails.length).toBe(before + 1);
    expect(links(mailTo(other.users.viewer.email)[0]!.text)).toEqual([
      `http://localhost:3999${existing.json.invitation.path}`,
    ]);

    const email = `bounce-${uniqueSlug("inv")}@example.com`;
    const res = await call(addMemberRoute, {
      method: "POST",
      cookie,
      org: t.org.slug,
      body: { email, role: "viewer" },
    });
    expect(res.status).toBe(201);
    expect(res.json.invitation.email_status).toBe("failed");
    expect(res.json.invitation.path).toMatch(/^\/invite\//);
    expect(mailTo(email)).toHaveLength(0);
  });
});

describe("security notices", () => {
  it("a notice queued in a committed transaction is sent after commit by the worker; a rolled-back one never is", async () => {
    const user = t.users.approver;
    const rolledBack = `rollback-${uniqueSlug("n")}@example.com`;
    await expect(
      withUser(user.id, async (tx) => {
        await queueSecurityNotice(tx, { to: rolledBack, kind: "password_changed", ip: "203.0.113.9" });
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    const queued = await withUser(user.id, (tx) =>
      queueSecurityNotice(tx, {
        to: user.email,
        kind: "mfa_factor_added",
        // Event text an attacker might choose: no header, no link comes of it.
        detail: "passkey “Key”\r\nBcc: thief@example.com https://warden-login.example",
        ip: "203.0.113.9",
      }),
    );
    expect(queued).toBe(true);
    // Queued with the change, before any worker runs: the committed notice is there, the rolled-back one is not.
    const jobs = await owner().query(
      `SELECT payload->>'to' AS to FROM graphile_worker._private_jobs WHERE payload->>'to' = ANY($1::text[])`,
      [[rolledBack, user.email]],
    );
    expect(jobs.rows.map((r: { to: string }) => r.to)).toEqual([user.email]);
    await startAlertWorkers();
    const mail = await waitFor(() => mailTo(user.email).find((m) => m.subject.includes("sign-in factor was added")));
    expect(mail.to).toEqual([user.email]);
    expect(mail.text).toContain("203.0.113.9");
    expect(mail.text).toContain("passkey “Key”");
    expect(links(mail.text)).toEqual([]);
    expect(mail.raw).not.toMatch(/^bcc:/im);
    expect(mails.some((m) => m.to.includes("thief@example.com"))).toBe(false);
    expect(mailTo(rolledBack)).toHaveLength(0);
  });

  it("changing one's password sends the notice (no link), and a refused change sends none", async () => {
    const user = t.users.viewer;
    const sessionUser = {
      sessionId: (await sessionCookie(user.id)).sessionId,
      userId: user.id,
      email: user.email,
      name: "",
      authMethods: ["pwd"],
      createdAt: new Date(),
      mfaPending: false,
      factors: [],
    };
    const meta = { ip: "198.51.100.23", userAgent: "vitest" };
    await expect(
      changePassword(
        sessionUser,
        { current_password: "not-it-at-all", new_password: "another-long-password-1" },
        null,
        meta,
      ),
    ).rejects.toMatchObject({ code: "validation_failed" });
    await changePassword(
      sessionUser,
      { current_password: user.password, new_password: "another-long-password-1" },
      null,
      meta,
    );
    await startAlertWorkers();
    const mail = await waitFor(() => mailTo(user.email).find((m) => m.subject.includes("password was changed")));
    expect(mail.text).toContain("198.51.100.23");
    expect(links(mail.text)).toEqual([]);
    expect(mailTo(user.email).filter((m) => m.subject.includes("password was changed"))).toHaveLength(1);
  });
});
