import pino from "pino";
import { logLevel } from "./env";

/**
 * Structured JSON logs on stdout. Internal error detail goes here, never to
 * the client; log lines carry the request id the client saw.
 */
let logger: pino.Logger | undefined;

export function log(): pino.Logger {
  if (!logger) {
    logger = pino({
      level: logLevel(),
      base: { service: "warden" },
      redact: {
        paths: ["password", "*.password", "token", "*.token", "authorization", "*.authorization", "cookie", "*.cookie"],
        censor: "[redacted]",
      },
    });
  }
  return logger;
}
