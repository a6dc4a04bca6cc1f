import { describe, expect, it } from "vitest";
import { DatabaseError } from "pg-protocol";
import { PrismaClientKnownRequestError, PrismaClientUnknownRequestError } from "@prisma/client/runtime/client";
import { AppError } from "@/lib/errors";
import { classifyDbFailure } from "@/lib/db/errors";
import { toProblem } from "@/lib/http/problem";

/** A server error the way pg builds it from an ErrorResponse message. */
function pgError(code: string, message: string, severity = "ERROR"): DatabaseError {
  const e = new DatabaseError(message, 0, "error");
  Object.assign(e, { code, severity });
  return e;
}

/** A socket error the way Node builds it. */
function socketError(code: string, syscall = "write"): Error {
  return Object.assign(new Error(`${syscall} ${code}`), { code, syscall, errno: -32 });
}

/** A driver error wrapped by Prisma (adapter-pg), as withTenant callers see it. */
function prismaWrapped(cause: Record<string, unknown>, code = "P2010"): PrismaClientKnownRequestError {
  return new PrismaClientKnownRequestError("Raw query failed", {
    code,
    clientVersion: "7",
    meta: { driverAdapterError: { cause } },
  });
}

describe("classifyDbFailure: connection loss is 'unavailable'", () => {
  const cases: [string, unknown][] = [
    ["EPIPE", socketError("EPIPE")],
    ["ECONNRESET", socketError("ECONNRESET", "read")],
    ["ECONNREFUSED", socketError("ECONNREFUSED", "connect")],
    ["ETIMEDOUT", socketError("ETIMEDOUT", "connect")],
    ["Connection terminated unexpectedly", new Error("Connection terminated unexpectedly")],
    ["Connection terminated due to connection timeout", new Error("Connection terminated due to connection timeout")],
    [
      "Client has encountered a connection error",
      new Error("Client has encountered a connection error and is not queryable"),
    ],
    ["pool connect timeout", new Error("timeout exceeded when trying to connect")],
    ["57P01 pg_terminate_backend", pgError("57P01", "terminating connection due to administrator command", "FATAL")],
    ["57P02 crash shutdown", pgError("57P02", "terminating connection because of crash of another server process")],
    ["57P03 starting up", pgError("57P03", "the database system is starting up", "FATAL")],
    ["08006 connection failure", pgError("08006", "connection failure")],
    ["08P01 protocol violation", pgError("08P01", "protocol violation")],
    ["08003 no connection", pgError("08003", "connection does not exist")],
    [
      "25P03 idle-in-transaction timeout",
      pgError("25P03", "terminating connection due to idle-in-transaction timeout", "FATAL"),
    ],
    ["53300 too many connections", pgError("53300", "sorry, too many clients already", "FATAL")],
    ["Prisma ConnectionClosed", prismaWrapped({ kind: "ConnectionClosed" }, "P1017")],
    ["Prisma DatabaseNotReachable", prismaWrapped({ kind: "DatabaseNotReachable", host: "x" }, "P1001")],
    ["Prisma postgres 57P01", prismaWrapped({ kind: "postgres", code: "57P01", message: "terminating" })],
    ["Prisma pool timeout", new PrismaClientKnownRequestError("Timed out", { code: "P2024", clientVersion: "7" })],
    [
      "Prisma unknown request error with a SQLSTATE in its message",
      new PrismaClientUnknownRequestError("Raw query failed. Code: `08006`. Message: `connection failure`", {
        clientVersion: "7",
      }),
    ],
    ["in a cause chain", new Error("wrapper", { cause: new Error("wrapped", { cause: socketError("EPIPE") }) })],
    ["inside an AggregateError", new AggregateError([new Error("x"), socketError("ECONNREFUSED", "connect")])],
    [
      "an AppError('internal') wrapping one",
      new AppError("internal", "rolled back", { cause: socketError("ECONNRESET", "read") }),
    ],
  ];
  it.each(cases)("%s", (_name, e) => {
    expect(classifyDbFailure(e)).toBe("unavailable");
  });
});

describe("classifyDbFailure: giving up waiting is 'busy'", () => {
  const cases: [string, unknown][] = [
    ["55P03 lock_timeout", pgError("55P03", "canceling statement due to lock timeout")],
    ["57014 statement_timeout", pgError("57014", "canceling statement due to statement timeout")],
    ["40P01 deadlock", pgError("40P01", "deadlock detected")],
    ["40001 serialization", pgError("40001", "could not serialize access due to concurrent update")],
    ["Prisma 55P03", prismaWrapped({ kind: "postgres", code: "55P03", message: "lock timeout" })],
    ["Prisma write conflict", prismaWrapped({ kind: "TransactionWriteConflict" }, "P2034")],
    [
      "Prisma interactive transaction expired",
      new PrismaClientKnownRequestError("Transaction already closed: expired transaction", {
        code: "P2028",
        clientVersion: "7",
      }),
    ],
  ];
  it.each(cases)("%s", (_name, e) => {
    expect(classifyDbFailure(e)).toBe("busy");
  });
});

describe("classifyDbFailure: everything else is not a database failure", () => {
  const cases: [string, unknown][] = [
    ["a bug", new TypeError("Cannot read properties of undefined")],
    ["unique violation", pgError("23505", "duplicate key value violates unique constraint")],
    ["RLS violation", pgError("42501", "new row violates row-level security policy")],
    ["syntax error", pgError("42601", "syntax error at or near")],
    ["check violation", pgError("23514", "violates check constraint")],
    ["Prisma unique", prismaWrapped({ kind: "UniqueConstraintViolation" }, "P2002")],
    ["a string", "Connection"],
    ["null", null],
    [
      "a self-referencing cause",
      (() => {
        const e = new Error("loop") as Error & { cause?: unknown };
        e.cause = e;
        return e;
      })(),
    ],
  ];
  it.each(cases)("%s", (_name, e) => {
    expect(classifyDbFailure(e)).toBeNull();
  });
});

describe("toProblem maps database failures to 503 with Retry-After", () => {
  it("connection loss: 503, Retry-After, problem+json, no internals", async () => {
    const res = toProblem(socketError("EPIPE"), "rid");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({ status: 503, code: "unavailable", request_id: "rid" });
    expect(body).not.toContain("EPIPE");
  });
  it("lock timeout: 503 with a shorter Retry-After", async () => {
    const res = toProblem(pgError("55P03", "canceling statement due to lock timeout"), "rid");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(await res.text()).not.toContain("lock timeout");
  });
  it("an AppError('internal') wrapping a lost connection is 503, not 500", () => {
    const res = toProblem(new AppError("internal", "x", { cause: pgError("57P01", "terminating", "FATAL") }), "rid");
    expect(res.status).toBe(503);
  });
  it("a typed 4xx keeps its status even with a database cause", () => {
    const res = toProblem(new AppError("conflict", "x", { cause: pgError("55P03", "lock") }), "rid");
    expect(res.status).toBe(409);
  });
  it("an AppError('unavailable') gets a Retry-After", () => {
    const res = toProblem(new AppError("unavailable", "later"), "rid");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).not.toBeNull();
  });
});
