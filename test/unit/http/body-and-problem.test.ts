import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { readJsonBody } from "@/lib/http/body";
import { toProblem } from "@/lib/http/problem";

const req = (body: BodyInit | null, headers: Record<string, string> = { "content-type": "application/json" }) =>
  new Request("http://x/api", { method: "POST", body, headers });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    return e instanceof AppError ? e.code : "other";
  }
}

describe("readJsonBody", () => {
  it("parses JSON", async () => {
    expect(await readJsonBody(req('{"a":1}'))).toEqual({ a: 1 });
  });
  it("refuses other media types", async () => {
    expect(await codeOf(readJsonBody(req("a=1", { "content-type": "application/x-www-form-urlencoded" })))).toBe(
      "unsupported_media_type",
    );
  });
  it("refuses malformed JSON and empty bodies", async () => {
    expect(await codeOf(readJsonBody(req("{nope")))).toBe("bad_request");
    expect(await codeOf(readJsonBody(req("")))).toBe("bad_request");
  });
  it("refuses a declared oversized body without reading it", async () => {
    expect(
      await codeOf(readJsonBody(req("{}", { "content-type": "application/json", "content-length": "999999" }), 1024)),
    ).toBe("payload_too_large");
  });
  it("refuses an oversized streamed body even when Content-Length lies or is absent", async () => {
    const big = new ReadableStream({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode("x".repeat(1000)));
        c.close();
      },
    });
    const r = new Request("http://x/api", {
      method: "POST",
      body: big,
      headers: { "content-type": "application/json" },
      duplex: "half",
    } as RequestInit);
    expect(await codeOf(readJsonBody(r, 2048))).toBe("payload_too_large");
  });
});

describe("problem responses", () => {
  it("keeps a typed error's status and message", async () => {
    const res = toProblem(new AppError("forbidden", "No"), "rid");
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({ status: 403, detail: "No", code: "forbidden", request_id: "rid" });
  });
  it("never leaks an unexpected error's message or stack", async () => {
    const res = toProblem(new Error("password=hunter2 at /srv/secret.ts:12"), "rid");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("secret.ts");
  });
  it("answers 503 when the database is unreachable", async () => {
    const err = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    expect(toProblem(err, "rid").status).toBe(503);
  });
});
