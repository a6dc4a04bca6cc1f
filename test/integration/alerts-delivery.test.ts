import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as submitAction } from "@/app/api/v1/actions/route";
import { POST as createChannelRoute } from "@/app/api/v1/alerts/channels/route";
import { POST as replayRoute } from "@/app/api/v1/alerts/deliveries/[id]/replay/route";
import { createChannel, rotateChannelSecret, sendTestMessage } from "@/lib/alerts/channels";
import { deliver } from "@/lib/alerts/deliver";
import { evaluateOrganization } from "@/lib/alerts/evaluate-alerts";
import { createRule } from "@/lib/alerts/rules";
import { startAlertWorkers, stopAlertWorkers } from "@/lib/alerts/worker";
import { closeDb } from "@/lib/db/client";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { createAgentWithKey, publishPolicy } from "../helpers/firewall";
import { call, sessionCookie } from "../helpers/http";
import { memberContext } from "../helpers/keys";

/**
 * Deliveries against real receivers started here: an HTTP server that checks
 * every Standard Webhooks signature with the standardwebhooks library, and an
 * SMTP server (smtp-server). Outbound calls go through the SSRF-safe client,
 * so the organization allows 127.0.0.1 explicitly.
 */
type Received = { headers: IncomingMessage["headers"]; body: string };
let received: Received[] = [];
let respond: (res: ServerResponse) => void = (res) => res.writeHead(204).end();
let receiver: Server;
let base: string;
let smtp: SMTPServer;
const mails: { to: string[]; data: string }[] = [];
let t: TestOrg;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onData(stream, session, cb) {
      let data = "";
      stream.on("data", (c: Buffer) => (data += c.toString("utf8")));
      stream.on("end", () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", () => r()));
  // Read once by lib/env on first use, which has not happened yet in this file.
  process.env.SMTP_URL = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;

  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      respond(res);
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  t = await createTestOrg("alerts-hooks");
  await owner().query(`UPDATE organizations SET http_allowed_private_cidrs = '{127.0.0.1/32}' WHERE id = $1`, [
    t.org.id,
  ]);
});

afterAll(async () => {
  await stopAlertWorkers();
  await new Promise((r) => receiver.close(r));
  await new Promise<void>((r) => smtp.close(() => r()));
  await closeOwner();
  await closeDb();
});

async function waitFor<T>(fn: () => Promise<T | null | undefined> | T | null | undefined, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function delivery(id: string) {
  return (await owner().query(`SELECT * FROM alert_deliveries WHERE id = $1`, [id])).rows[0];
}

describe("webhooks", () => {
  it("a rule fires, the queue delivers a signed webhook after commit, and the receiver verifies it", async () => {
    const ctx = memberContext(t);
    const channel = await createChannel(ctx, { kind: "webhook", name: "siem", url: `${base}/hook` });
    expect(channel.secret).toMatch(/^whsec_/);
    expect(channel.target).toBe(new URL(base).host);
    await publishPolicy(t, [{ name: "no", condition: 'tool == "forbidden"', effect: "deny" }]);
    await createRule(ctx, {
      name: "any denial",
      mode: "active",
      spec: {
        actions: ["action.decided"],
        condition: 'data.effect == "deny"',
        aggregation: { kind: "each" },
        responses: [{ type: "notify", recipients: ["admins"], channels: [channel.id] }],
        severity: "critical",
      },
    });
    // The real worker: evaluator loop and graphile-worker.
    await startAlertWorkers();
    const agent = await createAgentWithKey(t, { tools: { allowed: ["forbidden"] } });
    received = [];
    await call(submitAction, {
      method: "POST",
      headers: { authorization: `Bearer ${agent.token}` },
      body: { tool: "forbidden", operation: "x" },
    });
    const got = await waitFor(() => received[0]);
    const payload = new Webhook(channel.secret!).verify(got.body, got.headers as Record<string, string>) as {
      type: string;
      data: { rule: { name: string }; triggering: { seq: number; hash: string }[] };
    };
    expect(payload.type).toBe("alert.fired");
    expect(payload.data.rule.name).toBe("any denial");
    expect(payload.data.triggering).toHaveLength(1);
    // A wrong secret does not verify.
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 1).toString("base64")}`).verify(
        got.body,
        got.headers as Record<string, string>,
      ),
    ).toThrow();
    const id = got.headers["webhook-id"] as string;
    await waitFor(async () => (await delivery(id))?.status === "delivered");
    await stopAlertWorkers();
  });

  it("rotation: during the overlap every delivery is signed with both secrets, each verifies", async () => {
    const ctx = memberContext(t);
    const channel = await createChannel(ctx, { kind: "webhook", name: "rotating", url: `${base}/r` });
    const rotated = await rotateChannelSecret(ctx, channel.id);
    expect(rotated.active_secrets).toBe(2);
    received = [];
    const { delivery_id } = await sendTestMessage(ctx, channel.id);
    await deliver(t.org.id, delivery_id);
    const got = received[0]!;
    expect((got.headers["webhook-signature"] as string).split(" ")).toHaveLength(2);
    for (const secret of [channel.secret!, rotated.secret]) {
      expect(new Webhook(secret).verify(got.body, got.headers as Record<string, string>)).toMatchObject({
        type: "alert.test",
      });
    }
  });

  it("failures retry with backoff and honour Retry-After; 410 disables the channel; a dead delivery can be replayed", async () => {
    const ctx = memberContext(t);
    const channel = await createChannel(ctx, { kind: "webhook", name: "flaky", url: `${base}/flaky` });
    respond = (res) => res.writeHead(503, { "retry-after": "7200" }).end();
    const { delivery_id } = await sendTestMessage(ctx, channel.id);
    const jobs = await owner().query(
      `SELECT count(*)::int AS n FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks k ON k.id = j.task_id
       WHERE k.identifier = 'alert_delivery' AND j.payload->>'delivery_id' = $1`,
      [delivery_id],
    );
    expect(jobs.rows[0].n).toBe(1);
    const before = Date.now();
    await deliver(t.org.id, delivery_id);
    let d = await delivery(delivery_id);
    expect(d.status).toBe("pending");
    expect(d.attempts).toBe(1);
    expect(d.last_status).toBe(503);
    expect(new Date(d.next_attempt_at).getTime()).toBeGreaterThanOrEqual(before + 7200 * 1000);

    respond = (res) => res.writeHead(410).end();
    await deliver(t.org.id, delivery_id);
    d = await delivery(delivery_id);
    expect(d.status).toBe("dead");
    const ch = (
      await owner().query(`SELECT disabled_at, disabled_reason FROM alert_channels WHERE id = $1`, [channel.id])
    ).rows[0];
    expect(ch.disabled_at).not.toBeNull();
    expect(ch.disabled_reason).toMatch(/410/);

    // Replay after the admin re-enables it: a new delivery with the same payload.
    await owner().query(`UPDATE alert_channels SET disabled_at = NULL WHERE id = $1`, [channel.id]);
    respond = (res) => res.writeHead(200).end();
    const admin = await sessionCookie(t.users.admin.id);
    const r = await call(replayRoute, {
      method: "POST",
      cookie: admin.cookie,
      org: t.org.slug,
      params: { id: delivery_id },
    });
    expect(r.status).toBe(202);
    received = [];
    await deliver(t.org.id, r.json.delivery_id);
    expect((await delivery(r.json.delivery_id)).status).toBe("delivered");
    expect((await delivery(r.json.delivery_id)).replay_of).toBe(delivery_id);
    expect(JSON.parse(received[0]!.body).type).toBe("alert.test");
  });

  it("refuses unsafe targets: a loopback URL without the organization's consent is never dialled", async () => {
    const other = await createTestOrg("alerts-ssrf");
    const ctx = memberContext(other);
    const channel = await createChannel(ctx, { kind: "webhook", name: "inside", url: `${base}/steal` });
    received = [];
    const { delivery_id } = await sendTestMessage(ctx, channel.id);
    await deliver(other.org.id, delivery_id);
    const d = await delivery(delivery_id);
    expect(d.last_error).toMatch(/refused/);
    expect(received).toHaveLength(0);
  });

  it("channel bodies are validated: 422 for a bad URL or credentials in it, 403 for a viewer, 409 for a duplicate name", async () => {
    const admin = await sessionCookie(t.users.admin.id);
    const viewer = await sessionCookie(t.users.viewer.id);
    const post = (cookie: string, body: unknown) =>
      call(createChannelRoute, { method: "POST", cookie, org: t.org.slug, body });
    expect((await post(admin.cookie, { kind: "webhook", name: "x", url: "ftp://example.com/" })).status).toBe(422);
    expect((await post(admin.cookie, { kind: "webhook", name: "x", url: "https://u:p@example.com/" })).status).toBe(
      422,
    );
    expect((await post(admin.cookie, { kind: "email", name: "x", recipients: [] })).status).toBe(422);
    expect((await post(viewer.cookie, { kind: "slack", name: "x", url: "https://example.com/" })).status).toBe(403);
    expect((await post(admin.cookie, { kind: "slack", name: "dup", url: "https://example.com/a" })).status).toBe(201);
    expect((await post(admin.cookie, { kind: "slack", name: "dup", url: "https://example.com/b" })).status).toBe(409);
  });
});

describe("e-mail and Slack", () => {
  it("an e-mail channel sends through SMTP, without sign-in links; Slack gets a text message", async () => {
    const ctx = memberContext(t);
    const email = await createChannel(ctx, { kind: "email", name: "oncall", recipients: ["oncall@example.test"] });
    const { delivery_id } = await sendTestMessage(ctx, email.id);
    await deliver(t.org.id, delivery_id);
    expect((await delivery(delivery_id)).status).toBe("delivered");
    const mail = mails.at(-1)!;
    expect(mail.to).toEqual(["oncall@example.test"]);
    expect(mail.data).toMatch(/Subject: \[Warden\] Test message/);
    expect(mail.data).not.toMatch(/https?:\/\//);

    const slack = await createChannel(ctx, { kind: "slack", name: "ops", url: `${base}/slack/T000/B000/secret` });
    received = [];
    const s = await sendTestMessage(ctx, slack.id);
    await deliver(t.org.id, s.delivery_id);
    expect(JSON.parse(received[0]!.body)).toHaveProperty("text");
    expect(received[0]!.headers["webhook-signature"]).toBeUndefined();
  });

  it("the evaluator enqueues in its own transaction: a firing and its deliveries commit together", async () => {
    const ctx = memberContext(t);
    const channel = await createChannel(ctx, { kind: "webhook", name: "tx", url: `${base}/tx` });
    await createRule(ctx, {
      name: "key created",
      mode: "active",
      spec: {
        actions: ["api_key.created"],
        condition: "true",
        responses: [{ type: "notify", channels: [channel.id] }],
      },
    });
    await createAgentWithKey(t, {});
    for (let i = 0; i < 5 && (await evaluateOrganization(t.org.id)).more; i++);
    const rows = await owner().query(
      `SELECT d.status, f.id AS firing FROM alert_deliveries d JOIN alert_firings f ON f.id = d.firing_id WHERE d.channel_id = $1`,
      [channel.id],
    );
    expect(rows.rows.length).toBeGreaterThanOrEqual(1);
  });
});
