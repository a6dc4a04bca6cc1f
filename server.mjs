// Warden's HTTP entry point: Next.js behind a thin Node server that decides the
// client address. Next.js itself keeps a client-supplied X-Forwarded-For, so
// this server overwrites it (and x-warden-client-ip, which the app reads) from
// the socket address or from the configured number of trusted proxy hops.
//
// This launcher reads its own few settings from process.env (PORT, HOST,
// TRUSTED_PROXY_HOPS); the application reads everything else through lib/env.ts.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import next from "next";
import { clientIp } from "./lib/http/forwarded.mjs";

const dev = process.argv.includes("--dev");
const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOST ?? "0.0.0.0";
const trustedHops = Math.max(0, Math.min(5, Number(process.env.TRUSTED_PROXY_HOPS ?? 0) || 0));

const app = next({ dev, hostname: hostname === "0.0.0.0" ? "localhost" : hostname, port });
const handle = app.getRequestHandler();

await app.prepare();

// Methods. API routes (app/api) answer every method themselves, with their
// own Allow (lib/http/methods.ts); a method Next.js never dispatches to a route
// (TRACE, CONNECT, WebDAV's…) becomes OPTIONS marked with the original method,
// and the route answers 405 problem+json. Pages and assets only read: any
// other method is 405 here (Next.js would answer TRACE with a 500, and other
// writes with a redirect or a page).
const NEXT_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const UNSUPPORTED_METHOD_HEADER = "x-warden-unsupported-method";
const PAGE_ALLOW = "GET, HEAD, OPTIONS";

function pageMethodNotAllowed(req, res) {
  const requestId = randomUUID();
  const headers = {
    allow: PAGE_ALLOW,
    "cache-control": "no-store",
    "x-request-id": requestId,
    "x-content-type-options": "nosniff",
  };
  if (req.method === "OPTIONS") {
    res.writeHead(204, headers).end();
    return;
  }
  res.writeHead(405, { ...headers, "content-type": "application/problem+json" }).end(
    JSON.stringify({
      type: "urn:warden:problem:method_not_allowed",
      title: "Method not allowed",
      status: 405,
      detail: `${String(req.method).slice(0, 32)} is not allowed here; allowed: ${PAGE_ALLOW}`,
      code: "method_not_allowed",
      request_id: requestId,
    }),
  );
}

const server = createServer((req, res) => {
  delete req.headers[UNSUPPORTED_METHOD_HEADER];
  if (!/^\/api(?:[/?]|$)/.test(req.url ?? "")) {
    if (req.method !== "GET" && req.method !== "HEAD") return pageMethodNotAllowed(req, res);
  } else if (!NEXT_METHODS.has(req.method)) {
    req.headers[UNSUPPORTED_METHOD_HEADER] = req.method;
    req.method = "OPTIONS";
  }
  const xff = req.headers["x-forwarded-for"];
  const ip = clientIp(req.socket.remoteAddress, Array.isArray(xff) ? xff.join(",") : xff, trustedHops);
  if (ip) {
    req.headers["x-warden-client-ip"] = ip;
    req.headers["x-forwarded-for"] = ip;
  } else {
    delete req.headers["x-warden-client-ip"];
    delete req.headers["x-forwarded-for"];
  }
  handle(req, res).catch((err) => {
    console.error(JSON.stringify({ level: 50, msg: "request handler failed", err: String(err?.stack ?? err) }));
    if (!res.headersSent) {
      res.statusCode = 500;
      res.setHeader("content-type", "application/problem+json");
      res.end(
        JSON.stringify({
          type: "urn:warden:problem:internal",
          title: "Internal error",
          status: 500,
          detail: "An unexpected error occurred.",
        }),
      );
    } else {
      res.end();
    }
  });
});

// Slow-client protection: headers must arrive within 10 s, a whole request within 60 s.
server.headersTimeout = 10_000;
server.requestTimeout = 60_000;
server.keepAliveTimeout = 65_000;

server.listen(port, hostname, () => {
  console.log(
    JSON.stringify({
      level: 30,
      msg: `Warden listening on http://${hostname === "0.0.0.0" ? "localhost" : hostname}:${port}`,
      dev,
    }),
  );
});

function shutdown(signal) {
  console.log(JSON.stringify({ level: 30, msg: `received ${signal}, shutting down` }));
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 10_000).unref();
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
