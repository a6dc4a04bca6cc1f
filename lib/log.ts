import pino from "pino";
import { env } from "./env";

/**
 * Structured JSON logs on stdout. Internal error detail goes here, never to
 * the client; log lines carry the request id the client saw.
 */
let logger: pino.Logger | undefined;

export function log(): pino.Logger {
  if (!logger) {
    let level: pino.LevelWithSilent = "info";
    try {
      level = env().LOG_LEVEL;
    } catch {
      // env not valid yet (e.g. at build time): keep the default
    }
    logger = pino({
      level,
      base: { service: "warden" },
      redact: { paths: ["password", "*.password", "token", "*.token", "authorization", "*.authorization", "cookie", "*.cookie"], censor: "[redacted]" },
    });
  }
  return logger;
}
