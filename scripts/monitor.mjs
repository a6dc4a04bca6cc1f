#!/usr/bin/env node
// A transparency monitor for one organization's Warden audit log.
//
//   npm run monitor -- <base url> <org slug> [--key <verifier key>]... [--state <file>]
//                      [--interval <seconds>] [--json]
//
// Each round it fetches the newest signed-note checkpoint
// (GET /api/v1/audit/checkpoint), verifies it with the pinned verifier keys,
// and proves it consistent with the last checkpoint it saw (kept in the state
// file) through GET /api/v1/audit/consistency, checking the proof itself
// against the root it remembered: the server's word is never taken for the
// old root. A log that was rewritten, forked or rolled back cannot pass.
//
// The API key (an API key with audit:read) comes from WARDEN_API_KEY.
// Verifier keys: --key (repeatable), else the state file's, else on the first
// run the server's (GET /api/v1/audit/verifier-keys), pinned with a warning to
// compare them out of band.
//
// Exit status: 0 consistent (or first checkpoint pinned), 1 the log is not
// consistent with what was seen (fork, rewrite, rollback, bad signature),
// 2 usage error, 3 could not check (network, HTTP error, unreadable state).
// Zero dependencies beyond Node's built-ins and lib/proof-pack/verify.mjs.

import { readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import {
  parseCheckpointNote,
  parseNoteVerifierKey,
  verifyConsistencyProof,
  verifyNote,
} from "../lib/proof-pack/verify.mjs";

export const EXIT = { OK: 0, INCONSISTENT: 1, USAGE: 2, UNCHECKED: 3 };

const USAGE = `usage: npm run monitor -- <base url> <org slug> [--key <verifier key>]... [--state <file>]
                          [--interval <seconds>] [--json]

Checks that each new signed checkpoint of the organization's audit log is
consistent with the last one seen (kept in --state, default
.warden-monitor-<org>.json). WARDEN_API_KEY: an API key with audit:read.
Exit status: 0 consistent, 1 inconsistent (fork, rewrite, rollback, bad
signature), 2 usage error, 3 could not check.
`;

class Inconsistent extends Error {}
class Unchecked extends Error {}

export function parseArgs(argv) {
  const opts = { keys: [], json: false, interval: null, state: null };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--help" || a === "-h") return { help: true };
    else if (a === "--key") opts.keys.push(value());
    else if (a === "--state") opts.state = value();
    else if (a === "--interval") {
      opts.interval = Number(value());
      if (!Number.isFinite(opts.interval) || opts.interval < 1) throw new Error("--interval must be at least 1 second");
    } else if (a === "--json") opts.json = true;
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else rest.push(a);
  }
  if (rest.length !== 2) throw new Error("give the base URL and the organization slug");
  const [base, org] = rest;
  let url;
  try {
    url = new URL(base);
  } catch {
    throw new Error(`not a URL: ${base}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("the base URL must be http(s)");
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(org)) throw new Error(`not an organization slug: ${org}`);
  for (const k of opts.keys) if (!parseNoteVerifierKey(k)) throw new Error(`not a note verifier key: ${k}`);
  return { ...opts, base: url.href.replace(/\/$/, ""), org, state: opts.state ?? `.warden-monitor-${org}.json` };
}

async function get(opts, path, accept) {
  const headers = { accept, "x-warden-org": opts.org };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  let res;
  try {
    res = await fetch(`${opts.base}${path}`, { headers, redirect: "error", signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    throw new Unchecked(`GET ${path}: ${e.cause?.message ?? e.message}`);
  }
  const body = await res.text();
  if (!res.ok) {
    let detail = body.slice(0, 300);
    try {
      detail = JSON.parse(body).detail ?? detail;
    } catch {
      // not problem+json
    }
    throw new Unchecked(`GET ${path}: HTTP ${res.status}: ${detail}`);
  }
  return body;
}

function readState(path) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (e.code === "ENOENT") return null;
    throw new Unchecked(`cannot read the state file ${path}: ${e.message}`);
  }
  try {
    const s = JSON.parse(text);
    if (
      s.version !== 1 ||
      typeof s.origin !== "string" ||
      !Number.isSafeInteger(s.tree_size) ||
      !/^[0-9a-f]{64}$/.test(s.root_hash) ||
      !Array.isArray(s.verifier_keys) ||
      !s.verifier_keys.every((k) => parseNoteVerifierKey(k))
    )
      throw new Error("unexpected shape");
    return s;
  } catch (e) {
    throw new Unchecked(`the state file ${path} is not a monitor state (${e.message}); move it away to start over`);
  }
}

function writeState(path, state) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/**
 * One round: returns { status: "pinned" | "unchanged" | "consistent", ... } or
 * throws Inconsistent / Unchecked.
 */
export async function checkOnce(opts, log = () => {}) {
  const previous = readState(opts.state);
  let vkeys = opts.keys.length > 0 ? opts.keys : (previous?.verifier_keys ?? []);
  if (vkeys.length === 0) {
    const published = JSON.parse(await get(opts, "/api/v1/audit/verifier-keys", "application/json"));
    vkeys = (published.keys ?? []).map((k) => k.verifier_key).filter((k) => parseNoteVerifierKey(k));
    if (vkeys.length === 0) throw new Unchecked("the server published no verifier key");
    log(
      `warning: pinned the server's verifier keys on first use; compare them with those your organization published:\n${vkeys.map((k) => `  ${k}`).join("\n")}`,
    );
  }

  const note = await get(opts, "/api/v1/audit/checkpoint", "text/plain");
  const verified = verifyNote(note, vkeys);
  if (!verified.ok) throw new Inconsistent(`the checkpoint's signature does not verify: ${verified.reason}`);
  const cp = parseCheckpointNote(verified.text);
  if (!cp) throw new Inconsistent("the signed note is not a tlog checkpoint");
  const origins = new Set(vkeys.map((k) => parseNoteVerifierKey(k).name));
  if (!origins.has(cp.origin))
    throw new Inconsistent(`the checkpoint is for the log ${cp.origin}, not one of the pinned keys'`);
  if (cp.treeSize < 1) throw new Unchecked("the log is empty");

  const next = {
    version: 1,
    base_url: opts.base,
    org: opts.org,
    origin: cp.origin,
    verifier_keys: vkeys,
    tree_size: cp.treeSize,
    root_hash: cp.rootHash,
    note,
    checked_at: new Date().toISOString(),
  };
  if (!previous) {
    writeState(opts.state, next);
    return { status: "pinned", tree_size: cp.treeSize, root_hash: cp.rootHash, origin: cp.origin };
  }
  if (previous.origin !== cp.origin) {
    throw new Inconsistent(`the log's origin changed from ${previous.origin} to ${cp.origin}`);
  }
  if (cp.treeSize < previous.tree_size) {
    throw new Inconsistent(
      `rollback: the newest checkpoint has ${cp.treeSize} events, but a checkpoint of ${previous.tree_size} events was seen before (${previous.checked_at})`,
    );
  }
  if (cp.treeSize === previous.tree_size) {
    if (cp.rootHash !== previous.root_hash) {
      throw new Inconsistent(
        `fork: two checkpoints of ${cp.treeSize} events with different roots (${previous.root_hash} seen ${previous.checked_at}, now ${cp.rootHash})`,
      );
    }
    writeState(opts.state, { ...previous, verifier_keys: vkeys, checked_at: next.checked_at });
    return { status: "unchanged", tree_size: cp.treeSize, root_hash: cp.rootHash, origin: cp.origin };
  }

  const body = await get(
    opts,
    `/api/v1/audit/consistency?from=${previous.tree_size}&to=${cp.treeSize}`,
    "application/json",
  );
  let proof;
  try {
    const parsed = JSON.parse(body);
    proof = parsed.proof.map((h) => {
      if (!/^[0-9a-f]{64}$/.test(h)) throw new Error("bad hash");
      return Buffer.from(h, "hex");
    });
  } catch {
    throw new Unchecked("the consistency proof is not JSON of 64-hex hashes");
  }
  const ok = verifyConsistencyProof(
    previous.tree_size,
    cp.treeSize,
    Buffer.from(previous.root_hash, "hex"),
    Buffer.from(cp.rootHash, "hex"),
    proof,
  );
  if (!ok) {
    throw new Inconsistent(
      `the log was rewritten or forked: the checkpoint of ${cp.treeSize} events (root ${cp.rootHash}) does not extend the checkpoint of ${previous.tree_size} events seen ${previous.checked_at} (root ${previous.root_hash})`,
    );
  }
  writeState(opts.state, next);
  return {
    status: "consistent",
    from: { tree_size: previous.tree_size, root_hash: previous.root_hash },
    tree_size: cp.treeSize,
    root_hash: cp.rootHash,
    origin: cp.origin,
  };
}

function describe(r) {
  switch (r.status) {
    case "pinned":
      return `OK: first checkpoint of ${r.origin} pinned: ${r.tree_size} events, root ${r.root_hash}`;
    case "unchanged":
      return `OK: no new checkpoint (${r.tree_size} events, root ${r.root_hash})`;
    default:
      return `OK: ${r.from.tree_size} -> ${r.tree_size} events, consistent (root ${r.root_hash})`;
  }
}

export async function main(argv, env = process.env, out = process.stdout, err = process.stderr) {
  let opts;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    err.write(`${e.message}\n\n${USAGE}`);
    return EXIT.USAGE;
  }
  if (opts.help) {
    out.write(USAGE);
    return EXIT.OK;
  }
  opts.apiKey = env.WARDEN_API_KEY;
  const log = (m) => err.write(`${m}\n`);
  for (;;) {
    let code = EXIT.OK;
    try {
      const r = await checkOnce(opts, log);
      out.write(opts.json ? `${JSON.stringify({ ok: true, ...r })}\n` : `${describe(r)}\n`);
    } catch (e) {
      const inconsistent = e instanceof Inconsistent;
      code = inconsistent ? EXIT.INCONSISTENT : EXIT.UNCHECKED;
      const message = e instanceof Inconsistent || e instanceof Unchecked ? e.message : String(e?.stack ?? e);
      if (opts.json) out.write(`${JSON.stringify({ ok: false, inconsistent, error: message })}\n`);
      else err.write(`${inconsistent ? "INCONSISTENT" : "COULD NOT CHECK"}: ${message}\n`);
    }
    // A watch stops at the first inconsistency; a failed fetch is retried.
    if (opts.interval === null || code === EXIT.INCONSISTENT) return code;
    await sleep(opts.interval * 1000);
  }
}

function isMainModule() {
  try {
    return (
      process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))
    );
  } catch {
    return false;
  }
}

if (isMainModule()) process.exitCode = await main(process.argv.slice(2));
