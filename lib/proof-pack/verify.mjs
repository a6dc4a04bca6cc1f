#!/usr/bin/env node
// Warden proof pack verifier.
//
// Zero dependencies (node: builtins only) and no network, so an auditor can
// read every line of it and run it offline with any Node.js 18 or newer:
//
//   node verify.mjs                          verify the pack in this folder
//   node verify.mjs <folder>                 verify an unzipped pack elsewhere
//   node verify.mjs --expect-key <fingerprint>   also require this signing key
//   node verify.mjs --json                   machine-readable result
//
// Exit status: 0 = verified, 1 = the pack does not verify, 2 = usage error.
// The format is specified in docs/proof-pack-format.md of the Warden source.
// This file is copied verbatim into every pack; the same code backs Warden's
// own `verify-pack` command.

import { createHash, createPublicKey, verify as verifySignature } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const PACK_FORMAT = "warden.proof-pack";
/** The version Warden writes; version 1 packs (no signed note) still verify. */
export const PACK_VERSION = 2;
export const SUPPORTED_PACK_VERSIONS = Object.freeze([1, 2]);
export const MANIFEST_FILE = "manifest.json";
export const SIGNATURE_FILE = "manifest.sig";
/** Every file of a version 2 pack other than manifest.json and manifest.sig, in archive order. */
export const CONTENT_FILES = Object.freeze([
  "action.json",
  "decision.json",
  "approvals.json",
  "events.jsonl",
  "proofs.json",
  "checkpoint.json",
  "checkpoint.note",
  "checkpoint.vkey",
  "public-key.pem",
  "verify.mjs",
  "README.txt",
]);
export const PACK_FILES = Object.freeze([MANIFEST_FILE, SIGNATURE_FILE, ...CONTENT_FILES]);
const NOTE_FILES = Object.freeze(["checkpoint.note", "checkpoint.vkey"]);

/** The content files of a pack of this version (version 1 has no signed note). */
export function contentFilesOf(version) {
  return version === 1 ? CONTENT_FILES.filter((n) => !NOTE_FILES.includes(n)) : CONTENT_FILES;
}
export const MANIFEST_SIGNING_CONTEXT = "warden.proof-pack.manifest.v1\n";
export const CHECKPOINT_SIGNING_CONTEXT = "warden.checkpoint.v1\n";
export const GENESIS_HASH = "0".repeat(64);

const HEX64 = /^[0-9a-f]{64}$/;
const KEY_ID = /^[0-9a-f]{16}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_FILE_BYTES = 256 * 1024 * 1024;

// ---------------------------------------------------------------- RFC 8785

function hasLoneSurrogate(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return true;
    }
  }
  return false;
}

/**
 * RFC 8785 (JCS) canonical JSON of a value parsed from JSON: object keys
 * sorted by UTF-16 code units, numbers in ECMAScript shortest form, strings
 * escaped as JSON.stringify does, no whitespace.
 */
export function canonicalJson(value) {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError("JSON numbers must be finite");
      // ECMAScript Number::toString is the shortest round-trip form RFC 8785
      // requires; JSON.stringify also writes -0 as 0.
      return JSON.stringify(value);
    case "string":
      if (hasLoneSurrogate(value)) throw new TypeError("strings must not contain lone surrogates");
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
      // Array.prototype.sort without a comparator orders by UTF-16 code units.
      const keys = Object.keys(value).sort();
      return `{${keys.map((k) => `${canonicalJson(k)}:${canonicalJson(value[k])}`).join(",")}}`;
    }
    default:
      throw new TypeError(`a ${typeof value} is not a JSON value`);
  }
}

// ---------------------------------------------------------------- hashing

function sha256(...parts) {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}

export function sha256Hex(bytes) {
  return sha256(bytes).toString("hex");
}

/** hash = SHA-256(prev_hash bytes ‖ UTF-8 canonical JSON of the event), hex. */
export function chainHash(prevHashHex, event) {
  return sha256(Buffer.from(prevHashHex, "hex"), Buffer.from(canonicalJson(event), "utf8")).toString("hex");
}

/** RFC 6962 leaf hash of an audit event: SHA-256(0x00 ‖ the 32 raw bytes of its hash). */
export function eventLeafHash(eventHashHex) {
  return sha256(Buffer.from([0]), Buffer.from(eventHashHex, "hex"));
}

function hashChildren(left, right) {
  return sha256(Buffer.from([1]), left, right);
}

/**
 * The Merkle root an RFC 6962 inclusion proof leads to (RFC 9162 §2.1.3.2),
 * or null when the proof cannot belong to a tree of that size.
 */
export function rootFromInclusionProof(leafHash, index, treeSize, proof) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize)) return null;
  if (index < 0 || index >= treeSize) return null;
  if (leafHash.length !== 32 || proof.some((p) => p.length !== 32)) return null;
  let fn = index;
  let sn = treeSize - 1;
  let r = Buffer.from(leafHash);
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/**
 * True when `proof` shows that the tree of oldSize leaves with root oldRoot is
 * a prefix of the tree of newSize leaves with root newRoot (RFC 9162
 * §2.1.4.2, 0 < oldSize ≤ newSize: there is no proof from the empty tree).
 * The same rules as lib/audit/merkle.ts, for monitors that run this file alone.
 */
export function verifyConsistencyProof(oldSize, newSize, oldRoot, newRoot, proof) {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize)) return false;
  if (oldSize < 1 || newSize < oldSize) return false;
  if (oldRoot.length !== 32 || newRoot.length !== 32 || proof.some((p) => p.length !== 32)) return false;
  if (oldSize === newSize) return proof.length === 0 && Buffer.from(oldRoot).equals(newRoot);
  if (proof.length === 0) return false;
  // A power-of-two old tree is a node of the new one: the proof omits it.
  let pow = 1;
  while (pow < oldSize) pow *= 2;
  const path = pow === oldSize ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = Buffer.from(path[0]);
  let sr = Buffer.from(path[0]);
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(oldRoot) && sr.equals(newRoot);
}

// ---------------------------------------------------------------- keys

/** SHA-256 of the key's SubjectPublicKeyInfo DER, hex. */
export function publicKeyFingerprint(publicKey) {
  return sha256Hex(publicKey.export({ type: "spki", format: "der" }));
}

/** A key id is the first 16 hex characters of the fingerprint. */
export function keyIdOf(fingerprint) {
  return fingerprint.slice(0, 16);
}

function verifyEd25519(publicKey, context, message, signatureBase64) {
  if (typeof signatureBase64 !== "string" || !BASE64.test(signatureBase64)) return false;
  const signature = Buffer.from(signatureBase64, "base64");
  if (signature.length !== 64) return false;
  try {
    return verifySignature(null, Buffer.concat([Buffer.from(context, "utf8"), message]), publicKey, signature);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- signed notes
//
// c2sp.org/signed-note and c2sp.org/tlog-checkpoint, read the way Go's
// golang.org/x/mod/sumdb/note reads them (Open): a text ending in a newline,
// a blank line, then lines "— <name> <base64(key hash[4] ‖ signature)>".
// An Ed25519 key's hash is SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)[:4].

const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const NOTE_NAME = /^[^\s+\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/u;

function noteKeyHash(name, rawKey) {
  return sha256(Buffer.from(`${name}\n`, "utf8"), Buffer.from([1]), rawKey).subarray(0, 4);
}

/**
 * A verifier key `<name>+<8 hex key hash>+<base64(0x01 ‖ 32-byte Ed25519 key)>`
 * as { name, keyHash, publicKey }, or null when malformed or when the hash
 * does not match the name and key.
 */
export function parseNoteVerifierKey(vkey) {
  const m = /^([^+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(String(vkey).trim());
  if (!m || !NOTE_NAME.test(m[1]) || !BASE64.test(m[3])) return null;
  const typed = Buffer.from(m[3], "base64");
  if (typed.length !== 33 || typed[0] !== 1) return null;
  const raw = typed.subarray(1);
  if (noteKeyHash(m[1], raw).toString("hex") !== m[2]) return null;
  const publicKey = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: "der", type: "spki" });
  return { name: m[1], keyHash: m[2], publicKey };
}

/**
 * Verifies a signed note with the given verifier keys (strings or parsed).
 * As note.Open: the note is refused when malformed, when a signature by a
 * known key does not verify, or when no known key signed it; signatures by
 * unknown keys are ignored. Returns { ok: true, text, signers: [name+hash] }
 * or { ok: false, reason }.
 */
export function verifyNote(note, verifierKeys) {
  const bytes = typeof note === "string" ? Buffer.from(note, "utf8") : Buffer.from(note);
  let msg;
  try {
    msg = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: "the note is not valid UTF-8" };
  }
  if (/[\u0000-\u0009\u000b-\u001f]/.test(msg)) return { ok: false, reason: "the note contains control characters" };
  const split = msg.lastIndexOf("\n\n");
  if (split < 0 || !msg.endsWith("\n")) return { ok: false, reason: "the note has no signature block" };
  const text = msg.slice(0, split + 1);
  const lines = msg.slice(split + 2, -1).split("\n");
  if (lines.length > 100) return { ok: false, reason: "the note has more than 100 signatures" };
  const keys = verifierKeys.map((k) => (typeof k === "string" ? parseNoteVerifierKey(k) : k));
  if (keys.some((k) => !k)) return { ok: false, reason: "a verifier key is malformed" };
  const signers = [];
  for (const line of lines) {
    const m = /^\u2014 ([^ ]+) ([A-Za-z0-9+/=]+)$/.exec(line);
    const sig = m && BASE64.test(m[2]) ? Buffer.from(m[2], "base64") : null;
    if (!m || !NOTE_NAME.test(m[1]) || !sig || sig.length < 5)
      return { ok: false, reason: "a signature line is malformed" };
    const hash = sig.subarray(0, 4).toString("hex");
    const key = keys.find((k) => k.name === m[1] && k.keyHash === hash);
    if (!key || signers.includes(`${key.name}+${hash}`)) continue;
    let valid = false;
    try {
      valid = sig.length === 68 && verifySignature(null, Buffer.from(text, "utf8"), key.publicKey, sig.subarray(4));
    } catch {
      valid = false;
    }
    if (!valid) {
      return { ok: false, reason: `the signature of ${key.name}+${hash} does not verify: the note was changed` };
    }
    signers.push(`${key.name}+${hash}`);
  }
  if (signers.length === 0) return { ok: false, reason: "no known key signed the note" };
  return { ok: true, text, signers };
}

/**
 * The c2sp.org/tlog-checkpoint body: origin line, decimal tree size, base64
 * root hash, optional extension lines. Returns { origin, treeSize, rootHash
 * (hex), extensions } or null.
 */
export function parseCheckpointNote(text) {
  const lines = String(text).split("\n");
  if (lines.length < 4 || lines.pop() !== "") return null;
  const [origin, size, root, ...extensions] = lines;
  if (!origin || !/^(0|[1-9][0-9]{0,15})$/.test(size) || !Number.isSafeInteger(Number(size))) return null;
  if (!BASE64.test(root) || Buffer.from(root, "base64").length !== 32) return null;
  if (extensions.some((e) => e === "")) return null;
  return { origin, treeSize: Number(size), rootHash: Buffer.from(root, "base64").toString("hex"), extensions };
}

/** Accepts a full fingerprint (64 hex) or a key id (16 hex), optionally "sha256:"-prefixed or colon-separated. */
function normaliseExpectedKey(value) {
  const v = String(value)
    .trim()
    .toLowerCase()
    .replace(/^sha256:/, "")
    .replace(/:/g, "");
  return HEX64.test(v) || KEY_ID.test(v) ? v : null;
}

// ---------------------------------------------------------------- helpers

const utf8 = new TextDecoder("utf-8", { fatal: true });

// Controls, bidirectional overrides and invisible characters: text from the
// pack (ultimately from an agent's request) must not be able to rewrite the
// auditor's terminal or disguise what is printed.
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g;

function escapeUnsafe(s) {
  return s.replace(UNSAFE_CHARS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A value from the pack, quoted and cut short, safe to print to a terminal. */
function show(value) {
  if (value === undefined) return "nothing";
  let s;
  try {
    s = typeof value === "string" ? JSON.stringify(value) : canonicalJson(value);
  } catch {
    s = JSON.stringify(String(value));
  }
  s = escapeUnsafe(s);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** Unquoted, for the summary of a verified pack. */
function plain(value) {
  return escapeUnsafe(String(value));
}

function isObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function sameJson(a, b) {
  if (a === undefined || b === undefined) return a === b;
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}

function hasExactKeys(obj, keys) {
  const own = Object.keys(obj);
  return own.length === keys.length && keys.every((k) => Object.prototype.hasOwnProperty.call(obj, k));
}

function isSeq(v) {
  return Number.isSafeInteger(v) && v >= 1;
}

// ---------------------------------------------------------------- verification
//
// verifyProofPack runs one named check per pack file, in this order; each
// check reports what is wrong with its file and hands on what the later
// checks rely on (the manifest, the key, the checkpoint, the events):
//
//   checkFileSet            the fixed file names, nothing else
//   checkManifest           manifest.json: format, and the SHA-256 of every content file
//   checkPublicKey          public-key.pem (and --expect-key)
//   checkManifestSignature  manifest.sig: the signature over manifest.json
//   checkCheckpoint         checkpoint.json: the signed tree head
//   checkCheckpointNote     checkpoint.note + checkpoint.vkey (version 2): the same tree head as a C2SP signed note
//   checkEvents             events.jsonl: canonical form, hashes, chain links
//   checkProofs             proofs.json: each event's inclusion proof leads to the checkpoint root
//   checkAction             action.json: the action the events are about, bound to action.submitted
//   checkDecision           decision.json: bound to action.decided
//   checkApprovals          approvals.json: bound one to one to approval.approved/rejected events

/**
 * Verifies a proof pack given as a map from file name to bytes. Every entry
 * of the archive or folder should be in the map (unexpected names included)
 * so they can be reported. Checks run independently and all problems are
 * returned, each with a stable `code` and a message naming the file, event
 * seq or field at fault.
 *
 * @param {Map<string, Uint8Array>} files
 * @param {{ expectKey?: string }} [options]
 */
export function verifyProofPack(files, options = {}) {
  const pack = openPack(files);
  // The file set follows the version the manifest declares; the manifest is
  // signed, so a version 2 pack cannot pass as version 1 without its note.
  const declared = pack.jsonOf(MANIFEST_FILE);
  const version = isObject(declared) && declared.version === 1 ? 1 : PACK_VERSION;
  checkFileSet(pack, version);
  const manifest = checkManifest(pack, version);
  const key = checkPublicKey(pack, manifest, options.expectKey);
  checkManifestSignature(pack, manifest, key);
  const checkpoint = checkCheckpoint(pack, manifest, key);
  if (version >= 2) checkCheckpointNote(pack, manifest, key, checkpoint);
  const events = checkEvents(pack, manifest?.org_id ?? checkpoint?.org_id);
  checkProofs(pack, events, checkpoint);
  const actionId = checkAction(pack, manifest, events);
  checkDecision(pack, events, actionId);
  checkApprovals(pack, events);
  return { ok: pack.problems.length === 0, problems: pack.problems, summary: pack.summary };
}

/**
 * The pack under verification: its files, the problems found so far and the
 * summary of what it shows. A file is decoded and parsed once; one that is
 * not UTF-8 or not JSON is reported then and reads as absent afterwards.
 */
function openPack(files) {
  const problems = [];
  const fail = (code, message, where = {}) => {
    problems.push({ code, message, ...where });
  };
  const summary = {
    org_id: null,
    action_id: null,
    tool: null,
    operation: null,
    effect: null,
    policy_version: null,
    approvals: null,
    approvals_with_passkey_proof: null,
    events: [],
    tree_size: null,
    root_hash: null,
    checkpoint_time: null,
    key_id: null,
    fingerprint: null,
    created_at: null,
    expected_key: null,
    version: null,
    log_origin: null,
    verifier_key: null,
  };
  const texts = new Map();
  const jsons = new Map();
  const bytesOf = (name) => files.get(name);
  const textOf = (name) => {
    if (texts.has(name)) return texts.get(name);
    const bytes = bytesOf(name);
    let text;
    if (bytes !== undefined) {
      try {
        text = utf8.decode(bytes);
      } catch {
        fail("file_malformed", `${name} is not valid UTF-8`, { file: name });
      }
    }
    texts.set(name, text);
    return text;
  };
  const jsonOf = (name) => {
    if (jsons.has(name)) return jsons.get(name);
    const text = textOf(name);
    let value;
    if (text !== undefined) {
      try {
        value = JSON.parse(text);
      } catch {
        fail("file_malformed", `${name} is not valid JSON`, { file: name });
      }
    }
    jsons.set(name, value);
    return value;
  };
  return { files, problems, fail, summary, bytesOf, textOf, jsonOf };
}

/** The file set: the fixed names of the pack's version, each present, nothing else. */
function checkFileSet({ files, fail }, version) {
  const expected = [MANIFEST_FILE, SIGNATURE_FILE, ...contentFilesOf(version)];
  for (const name of files.keys()) {
    if (!expected.includes(name)) {
      fail("file_unexpected", `unexpected file ${show(name)}: not part of the proof pack format (version ${version})`, {
        file: name,
      });
    }
  }
  for (const name of expected) {
    if (!files.has(name)) fail("file_missing", `missing file ${name}`, { file: name });
  }
}

/**
 * manifest.json: a manifest of this format and version that lists the SHA-256
 * of every content file, and those hashes match the files. Returns the
 * manifest, or undefined when it cannot be used.
 */
function checkManifest({ fail, summary, bytesOf, jsonOf }, version) {
  const contentFiles = contentFilesOf(version);
  const manifest = jsonOf(MANIFEST_FILE);
  if (manifest === undefined) return undefined;
  const shapeOk =
    isObject(manifest) &&
    typeof manifest.org_id === "string" &&
    typeof manifest.action_id === "string" &&
    typeof manifest.created_at === "string" &&
    typeof manifest.key_id === "string" &&
    isObject(manifest.files) &&
    Object.values(manifest.files).every((h) => typeof h === "string");
  if (!isObject(manifest) || manifest.format !== PACK_FORMAT) {
    fail("manifest_malformed", `manifest.json is not a ${PACK_FORMAT} manifest`, { file: MANIFEST_FILE });
    return undefined;
  }
  if (!SUPPORTED_PACK_VERSIONS.includes(manifest.version)) {
    fail(
      "manifest_unsupported",
      `manifest.json is format version ${show(manifest.version)}; this verifier reads versions ${SUPPORTED_PACK_VERSIONS.join(" and ")}`,
      { file: MANIFEST_FILE },
    );
    return undefined;
  }
  summary.version = manifest.version;
  if (!shapeOk) {
    fail("manifest_malformed", "manifest.json must have org_id, action_id, created_at, key_id and files", {
      file: MANIFEST_FILE,
    });
    return undefined;
  }
  summary.org_id = manifest.org_id;
  summary.action_id = manifest.action_id;
  summary.created_at = manifest.created_at;
  for (const name of contentFiles) {
    if (!Object.prototype.hasOwnProperty.call(manifest.files, name)) {
      fail("manifest_incomplete", `manifest.json does not list ${name}`, { file: name });
      continue;
    }
    const bytes = bytesOf(name);
    if (bytes === undefined) continue;
    const actual = sha256Hex(bytes);
    if (actual !== manifest.files[name]) {
      fail(
        "file_hash_mismatch",
        `${name} does not match manifest.json: its SHA-256 is ${actual}, the manifest says ${HEX64.test(manifest.files[name]) ? manifest.files[name] : show(manifest.files[name])}`,
        { file: name },
      );
    }
  }
  for (const name of Object.keys(manifest.files)) {
    if (!contentFiles.includes(name)) {
      fail(
        "manifest_unexpected_entry",
        `manifest.json lists ${show(name)}, which is not a content file of the format`,
        {
          file: MANIFEST_FILE,
        },
      );
    }
  }
  return manifest;
}

/**
 * public-key.pem: an Ed25519 public key (a private key there means the key
 * leaked), the one --expect-key names if given, and the one the manifest
 * names. Returns { publicKey, keyId }, or undefined when there is no usable key.
 */
function checkPublicKey({ fail, summary, textOf }, manifest, expectKey) {
  let key;
  const pem = textOf("public-key.pem");
  if (pem !== undefined && pem.includes("PRIVATE KEY")) {
    fail(
      "public_key_invalid",
      "public-key.pem holds a private key: the signing key has leaked and nothing it signed can be trusted",
      { file: "public-key.pem" },
    );
  } else if (pem !== undefined) {
    try {
      const publicKey = createPublicKey(pem);
      if (publicKey.asymmetricKeyType !== "ed25519") {
        fail("public_key_invalid", `public-key.pem is a ${publicKey.asymmetricKeyType} key, not Ed25519`, {
          file: "public-key.pem",
        });
      } else {
        summary.fingerprint = publicKeyFingerprint(publicKey);
        summary.key_id = keyIdOf(summary.fingerprint);
        key = { publicKey, keyId: summary.key_id };
      }
    } catch {
      fail("public_key_invalid", "public-key.pem is not a PEM public key", { file: "public-key.pem" });
    }
  }
  if (expectKey !== undefined && expectKey !== null) {
    const expected = normaliseExpectedKey(expectKey);
    summary.expected_key = expected;
    if (expected === null) {
      fail(
        "expected_key_invalid",
        "--expect-key must be a key fingerprint (64 hex characters) or key id (16 hex characters)",
      );
    } else if (key) {
      const actual = expected.length === 64 ? summary.fingerprint : key.keyId;
      if (actual !== expected) {
        fail(
          "expected_key_mismatch",
          `public-key.pem is not the expected key: its fingerprint is sha256:${summary.fingerprint} (key id ${key.keyId}), expected ${expected}`,
          { file: "public-key.pem" },
        );
      }
    }
  }
  if (manifest && key && manifest.key_id !== key.keyId) {
    fail(
      "key_id_mismatch",
      `manifest.json names signing key ${show(manifest.key_id)} but public-key.pem is key ${key.keyId}`,
      {
        file: MANIFEST_FILE,
      },
    );
  }
  return key;
}

/** manifest.sig: an Ed25519 signature over the exact bytes of manifest.json by public-key.pem. */
function checkManifestSignature({ fail, bytesOf, jsonOf }, manifest, key) {
  const sig = jsonOf(SIGNATURE_FILE);
  if (sig === undefined) return;
  if (!isObject(sig) || sig.alg !== "Ed25519" || typeof sig.key_id !== "string" || typeof sig.signature !== "string") {
    fail("manifest_signature_malformed", 'manifest.sig must be {"alg":"Ed25519","key_id":…,"signature":…}', {
      file: SIGNATURE_FILE,
    });
    return;
  }
  if (manifest && sig.key_id !== manifest.key_id) {
    fail(
      "key_id_mismatch",
      `manifest.sig names key ${show(sig.key_id)} but manifest.json names key ${show(manifest.key_id)}`,
      {
        file: SIGNATURE_FILE,
      },
    );
  }
  const manifestBytes = bytesOf(MANIFEST_FILE);
  if (key && manifestBytes !== undefined) {
    if (!verifyEd25519(key.publicKey, MANIFEST_SIGNING_CONTEXT, manifestBytes, sig.signature)) {
      fail(
        "manifest_signature_invalid",
        `manifest.sig: the signature over manifest.json does not verify with public-key.pem (key ${key.keyId}); manifest.json was changed after signing or signed by another key`,
        { file: SIGNATURE_FILE },
      );
    }
  }
}

/**
 * checkpoint.json: a signed tree head {v, org_id, tree_size, root_hash,
 * timestamp, key_id} whose signature verifies with public-key.pem, for the
 * manifest's organization. Returns the checkpoint, or undefined when malformed.
 */
function checkCheckpoint({ fail, summary, jsonOf }, manifest, key) {
  const signedCheckpoint = jsonOf("checkpoint.json");
  if (signedCheckpoint === undefined) return undefined;
  const c = isObject(signedCheckpoint) ? signedCheckpoint.checkpoint : undefined;
  const shapeOk =
    isObject(signedCheckpoint) &&
    hasExactKeys(signedCheckpoint, ["checkpoint", "signature"]) &&
    isObject(c) &&
    hasExactKeys(c, ["v", "org_id", "tree_size", "root_hash", "timestamp", "key_id"]) &&
    c.v === 1 &&
    typeof c.org_id === "string" &&
    Number.isSafeInteger(c.tree_size) &&
    c.tree_size >= 0 &&
    typeof c.root_hash === "string" &&
    HEX64.test(c.root_hash) &&
    typeof c.timestamp === "string" &&
    typeof c.key_id === "string";
  if (!shapeOk) {
    fail(
      "checkpoint_malformed",
      "checkpoint.json must be {checkpoint:{v:1,org_id,tree_size,root_hash,timestamp,key_id},signature}",
      { file: "checkpoint.json" },
    );
    return undefined;
  }
  summary.tree_size = c.tree_size;
  summary.root_hash = c.root_hash;
  summary.checkpoint_time = c.timestamp;
  if (key && c.key_id !== key.keyId) {
    fail(
      "key_id_mismatch",
      `checkpoint.json was signed by key ${show(c.key_id)} but public-key.pem is key ${key.keyId}`,
      {
        file: "checkpoint.json",
      },
    );
  }
  if (key) {
    let message;
    try {
      message = Buffer.from(canonicalJson(c), "utf8");
    } catch {
      message = undefined;
    }
    if (
      message === undefined ||
      !verifyEd25519(key.publicKey, CHECKPOINT_SIGNING_CONTEXT, message, signedCheckpoint.signature)
    ) {
      fail(
        "checkpoint_signature_invalid",
        `checkpoint.json: the checkpoint signature does not verify with public-key.pem (key ${key.keyId})`,
        { file: "checkpoint.json" },
      );
    }
  }
  if (manifest && c.org_id !== manifest.org_id) {
    fail(
      "org_mismatch",
      `checkpoint.json is for organization ${show(c.org_id)} but manifest.json is for ${show(manifest.org_id)}`,
      { file: "checkpoint.json" },
    );
  }
  return c;
}

/**
 * checkpoint.note and checkpoint.vkey (version 2): the checkpoint as a C2SP
 * signed note (c2sp.org/tlog-checkpoint) and the note verifier key of
 * public-key.pem under the organization's log origin. The note must verify
 * with that key and state the same tree size and root as checkpoint.json, so
 * the tree head an auditor compares with a witness or monitor is the one the
 * inclusion proofs lead to.
 */
function checkCheckpointNote({ fail, summary, textOf }, manifest, key, checkpoint) {
  const vkeyText = textOf("checkpoint.vkey");
  const note = textOf("checkpoint.note");
  if (vkeyText === undefined || note === undefined) return;
  const vkey = parseNoteVerifierKey(vkeyText.replace(/\n$/, ""));
  if (!vkey) {
    fail(
      "note_key_invalid",
      "checkpoint.vkey is not a note verifier key <origin>+<key hash>+<base64(0x01 ‖ Ed25519 key)> whose hash matches its name and key",
      { file: "checkpoint.vkey" },
    );
    return;
  }
  summary.log_origin = vkey.name;
  summary.verifier_key = vkeyText.trim();
  if (key && !spkiOf(vkey.publicKey).equals(spkiOf(key.publicKey))) {
    fail("key_id_mismatch", `checkpoint.vkey is not the key of public-key.pem (key ${key.keyId})`, {
      file: "checkpoint.vkey",
    });
  }
  const orgId = manifest?.org_id ?? checkpoint?.org_id;
  if (typeof orgId === "string" && !vkey.name.endsWith(`/audit/${orgId}`)) {
    fail(
      "org_mismatch",
      `checkpoint.vkey names the log ${show(vkey.name)}, not the audit log of organization ${show(orgId)}`,
      { file: "checkpoint.vkey" },
    );
  }
  const verified = verifyNote(note, [vkey]);
  if (!verified.ok) {
    fail("note_signature_invalid", `checkpoint.note does not verify with checkpoint.vkey: ${verified.reason}`, {
      file: "checkpoint.note",
    });
    return;
  }
  const body = parseCheckpointNote(verified.text);
  if (!body) {
    fail("note_malformed", "checkpoint.note is not a tlog checkpoint (origin, tree size, base64 root hash)", {
      file: "checkpoint.note",
    });
    return;
  }
  if (body.origin !== vkey.name) {
    fail("note_mismatch", `checkpoint.note is for the log ${show(body.origin)}, its key for ${show(vkey.name)}`, {
      file: "checkpoint.note",
    });
  }
  if (checkpoint && (body.treeSize !== checkpoint.tree_size || body.rootHash !== checkpoint.root_hash)) {
    fail(
      "note_mismatch",
      `checkpoint.note states tree size ${body.treeSize} with root ${body.rootHash} but checkpoint.json states tree size ${checkpoint.tree_size} with root ${checkpoint.root_hash}`,
      { file: "checkpoint.note" },
    );
  }
}

function spkiOf(publicKey) {
  return publicKey.export({ type: "spki", format: "der" });
}

/**
 * events.jsonl: one canonical {seq, prev_hash, hash, event} per line, in
 * increasing seq order, each hash recomputed from its content, consecutive
 * events linked, all of the organization. Returns the well-formed events
 * (first occurrence of each seq) as { seq, line, hash, event }.
 */
function checkEvents({ fail, summary, textOf }, orgId) {
  const events = [];
  const eventsText = textOf("events.jsonl");
  if (eventsText !== undefined) {
    if (eventsText.length > 0 && !eventsText.endsWith("\n")) {
      fail("events_truncated", "events.jsonl does not end with a newline: the file is truncated", {
        file: "events.jsonl",
      });
    }
    const lines = eventsText.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    const seen = new Set();
    let previous;
    lines.forEach((line, i) => {
      const lineNo = i + 1;
      const where = { file: "events.jsonl", line: lineNo };
      let row;
      try {
        row = JSON.parse(line);
      } catch {
        fail("event_malformed", `events.jsonl line ${lineNo} is not valid JSON`, where);
        return;
      }
      const e = isObject(row) ? row.event : undefined;
      if (
        !isObject(row) ||
        !hasExactKeys(row, ["seq", "prev_hash", "hash", "event"]) ||
        !isSeq(row.seq) ||
        typeof row.prev_hash !== "string" ||
        !HEX64.test(row.prev_hash) ||
        typeof row.hash !== "string" ||
        !HEX64.test(row.hash) ||
        !isObject(e) ||
        typeof e.action !== "string" ||
        !isObject(e.target) ||
        !isObject(e.data)
      ) {
        fail(
          "event_malformed",
          `events.jsonl line ${lineNo} is not {seq, prev_hash, hash, event} with an audit event`,
          where,
        );
        return;
      }
      const seq = row.seq;
      where.seq = seq;
      let canonical;
      try {
        canonical = canonicalJson(row);
      } catch (err) {
        fail("event_malformed", `events.jsonl line ${lineNo} (seq ${seq}): ${err.message}`, where);
        return;
      }
      if (canonical !== line) {
        fail(
          "event_not_canonical",
          `events.jsonl line ${lineNo} (seq ${seq}) is not in RFC 8785 canonical form`,
          where,
        );
      }
      if (chainHash(row.prev_hash, e) !== row.hash) {
        fail(
          "event_hash_mismatch",
          `event seq ${seq} (events.jsonl line ${lineNo}): its content does not match its hash; the event was edited`,
          where,
        );
      }
      if (seen.has(seq)) {
        fail(
          "event_duplicate",
          `event seq ${seq} appears more than once (again on events.jsonl line ${lineNo})`,
          where,
        );
      } else if (previous && seq < previous.seq) {
        fail(
          "event_out_of_order",
          `events.jsonl line ${lineNo}: event seq ${seq} comes after seq ${previous.seq}; events must be in increasing seq order`,
          where,
        );
      }
      if (seq === 1 && row.prev_hash !== GENESIS_HASH) {
        fail("event_link_broken", "event seq 1: prev_hash is not the genesis hash (64 zeros)", where);
      } else if (previous && seq === previous.seq + 1 && row.prev_hash !== previous.hash) {
        fail(
          "event_link_broken",
          `event seq ${seq}: prev_hash does not equal the hash of event seq ${previous.seq}`,
          where,
        );
      }
      if (orgId !== undefined && e.org_id !== orgId) {
        fail(
          "event_org_mismatch",
          `event seq ${seq} belongs to organization ${show(e.org_id)}, not ${show(orgId)}`,
          where,
        );
      }
      const entry = { seq, line: lineNo, hash: row.hash, event: e };
      if (!seen.has(seq)) events.push(entry);
      seen.add(seq);
      previous = entry;
    });
    if (lines.length === 0) fail("events_empty", "events.jsonl has no events", { file: "events.jsonl" });
  }
  summary.events = events.map((e) => e.seq);
  return events;
}

/** proofs.json: exactly one inclusion proof per event, each leading to the checkpoint's root. */
function checkProofs({ fail, jsonOf }, events, checkpoint) {
  const proofsDoc = jsonOf("proofs.json");
  if (proofsDoc === undefined) return;
  if (!isObject(proofsDoc) || !Number.isSafeInteger(proofsDoc.tree_size) || !Array.isArray(proofsDoc.proofs)) {
    fail("proofs_malformed", "proofs.json must be {tree_size, proofs:[{seq, leaf_index, audit_path}]}", {
      file: "proofs.json",
    });
    return;
  }
  if (checkpoint && proofsDoc.tree_size !== checkpoint.tree_size) {
    fail(
      "proof_tree_size_mismatch",
      `proofs.json is for tree size ${proofsDoc.tree_size} but the checkpoint is for tree size ${checkpoint.tree_size}`,
      { file: "proofs.json" },
    );
  }
  const bySeq = new Map();
  proofsDoc.proofs.forEach((p, i) => {
    const valid =
      isObject(p) &&
      isSeq(p.seq) &&
      Number.isSafeInteger(p.leaf_index) &&
      Array.isArray(p.audit_path) &&
      p.audit_path.every((h) => typeof h === "string" && HEX64.test(h));
    if (!valid) {
      fail("proofs_malformed", `proofs.json proofs[${i}] must be {seq, leaf_index, audit_path: [64-hex hashes]}`, {
        file: "proofs.json",
      });
      return;
    }
    if (bySeq.has(p.seq)) {
      fail("proof_duplicate", `proofs.json has more than one proof for seq ${p.seq}`, {
        file: "proofs.json",
        seq: p.seq,
      });
      return;
    }
    if (p.leaf_index !== p.seq - 1) {
      fail(
        "proof_index_mismatch",
        `proofs.json: the proof for seq ${p.seq} is for leaf index ${p.leaf_index}, expected ${p.seq - 1}`,
        { file: "proofs.json", seq: p.seq },
      );
    }
    bySeq.set(p.seq, p);
  });
  const eventSeqs = new Set(events.map((e) => e.seq));
  for (const e of events) {
    const p = bySeq.get(e.seq);
    if (!p) {
      fail("proof_missing", `event seq ${e.seq} has no inclusion proof in proofs.json`, {
        file: "proofs.json",
        seq: e.seq,
      });
      continue;
    }
    if (!checkpoint) continue;
    if (e.seq > checkpoint.tree_size) {
      fail(
        "checkpoint_too_small",
        `event seq ${e.seq} (leaf index ${e.seq - 1}) is beyond the checkpoint's tree size ${checkpoint.tree_size}; the checkpoint does not cover it`,
        { file: "checkpoint.json", seq: e.seq },
      );
      continue;
    }
    const root = rootFromInclusionProof(
      eventLeafHash(e.hash),
      e.seq - 1,
      checkpoint.tree_size,
      p.audit_path.map((h) => Buffer.from(h, "hex")),
    );
    if (!root || root.toString("hex") !== checkpoint.root_hash) {
      fail(
        "inclusion_proof_invalid",
        `event seq ${e.seq}: its inclusion proof does not lead to the checkpoint root (tree size ${checkpoint.tree_size})`,
        { file: "proofs.json", seq: e.seq },
      );
    }
  }
  for (const seq of bySeq.keys()) {
    if (!eventSeqs.has(seq)) {
      fail("proof_without_event", `proofs.json proves seq ${seq} but events.jsonl has no such event (removed?)`, {
        file: "events.jsonl",
        seq,
      });
    }
  }
}

/**
 * action.json: the action the signed manifest names; every event is about it
 * (its target, or data.action_id); and its fields say what its one
 * action.submitted event records. Returns the action id the pack is about.
 */
function checkAction(pack, manifest, events) {
  const { fail, summary, jsonOf } = pack;
  const action = jsonOf("action.json");
  const actionOk = isObject(action) && typeof action.id === "string";
  if (action !== undefined && !actionOk) {
    fail("action_malformed", "action.json must be an object with a string id", { file: "action.json" });
  }
  // The signed manifest names the action; action.json is checked against it
  // and against the log rather than trusted to say which action this is.
  const actionId = manifest?.action_id ?? (actionOk ? action.id : undefined);
  if (actionOk) {
    summary.action_id = action.id;
    summary.tool = typeof action.tool === "string" ? action.tool : null;
    summary.operation = typeof action.operation === "string" ? action.operation : null;
    if (manifest && manifest.action_id !== action.id) {
      fail(
        "action_mismatch",
        `manifest.json is for action ${show(manifest.action_id)} but action.json is action ${show(action.id)}`,
        {
          file: "action.json",
        },
      );
    }
  }
  if (actionId !== undefined) {
    for (const e of events) {
      const about =
        (e.event.target.type === "action" && e.event.target.id === actionId) || e.event.data.action_id === actionId;
      if (!about) {
        fail(
          "event_foreign",
          `event seq ${e.seq} (${show(e.event.action)}) is not about action ${show(actionId)}: its target is ${show(e.event.target)} and its data.action_id is ${show(e.event.data.action_id)}`,
          { file: "events.jsonl", seq: e.seq },
        );
      }
    }
  }
  if (events.length > 0) {
    const submitted = singleEvent(pack, events, "action.submitted", actionId);
    if (submitted && actionOk) {
      compareField(pack, "action.json", action, "id", submitted, submitted.event.target.id);
      for (const f of ["tool", "operation", "payload_hash"])
        compareField(pack, "action.json", action, f, submitted, submitted.event.data[f]);
      for (const f of ["agent_id", "agent_slug"]) {
        if (Object.prototype.hasOwnProperty.call(action, f))
          compareField(pack, "action.json", action, f, submitted, submitted.event.data[f]);
      }
    }
  }
  return actionId;
}

/** decision.json: says what the action's one action.decided event records. */
function checkDecision(pack, events, actionId) {
  const { fail, summary, jsonOf } = pack;
  // Without events (already reported) there is nothing to bind it to.
  if (events.length === 0) return;
  const decision = jsonOf("decision.json");
  const decided = singleEvent(pack, events, "action.decided", actionId);
  if (decision !== undefined && !isObject(decision)) {
    fail("decision_malformed", "decision.json must be an object", { file: "decision.json" });
  } else if (decision !== undefined) {
    summary.effect = typeof decision.effect === "string" ? decision.effect : null;
    summary.policy_version = decision.policy_version ?? null;
    if (decided) {
      for (const f of ["effect", "risk_level", "reason", "policy_version", "rule"]) {
        compareField(pack, "decision.json", decision, f, decided, decided.event.data[f]);
      }
    }
  }
}

/**
 * approvals.json: one entry per approval decision, bound one to one to the
 * approval.approved / approval.rejected events. An approver decides an
 * approval at most once, so (approval_id, approver_id) names one decision;
 * with a quorum, several decisions share the approval_id.
 */
function checkApprovals(pack, events) {
  const { fail, summary, jsonOf } = pack;
  // Without events (already reported) there is nothing to bind it to.
  if (events.length === 0) return;
  const approvals = jsonOf("approvals.json");
  const approvalEvents = events.filter(
    (e) => e.event.action === "approval.approved" || e.event.action === "approval.rejected",
  );
  const decisionKey = (approvalId, approverId) => canonicalJson([approvalId, approverId]);
  const eventKey = (e) => {
    try {
      return decisionKey(e.event.data.approval_id ?? null, e.event.data.approver_id ?? null);
    } catch {
      return null;
    }
  };
  const decisionName = (approvalId, approverId) => `approval ${show(approvalId)} by approver ${show(approverId)}`;
  if (approvals === undefined) return;
  if (
    !Array.isArray(approvals) ||
    !approvals.every((a) => isObject(a) && typeof a.approval_id === "string" && typeof a.approver_id === "string")
  ) {
    fail(
      "approvals_malformed",
      "approvals.json must be an array of objects with a string approval_id and approver_id",
      {
        file: "approvals.json",
      },
    );
    return;
  }
  summary.approvals = approvals.length;
  summary.approvals_with_passkey_proof = 0;
  const entryCount = new Map();
  for (const a of approvals) {
    const k = decisionKey(a.approval_id, a.approver_id);
    entryCount.set(k, (entryCount.get(k) ?? 0) + 1);
  }
  const reported = new Set();
  for (const a of approvals) {
    const k = decisionKey(a.approval_id, a.approver_id);
    if (entryCount.get(k) > 1 && !reported.has(k)) {
      reported.add(k);
      fail(
        "binding_duplicate",
        `approvals.json lists the decision on ${decisionName(a.approval_id, a.approver_id)} ${entryCount.get(k)} times`,
        { file: "approvals.json" },
      );
    }
  }
  for (const a of approvals) {
    const matching = approvalEvents.filter((e) => eventKey(e) === decisionKey(a.approval_id, a.approver_id));
    if (matching.length === 0) {
      fail(
        "binding_missing",
        `approvals.json entry for ${decisionName(a.approval_id, a.approver_id)} has no approval.approved or approval.rejected event`,
        { file: "approvals.json" },
      );
      continue;
    }
    if (matching.length > 1) {
      fail(
        "binding_duplicate",
        `${decisionName(a.approval_id, a.approver_id)} has ${matching.length} approval events (seq ${matching.map((e) => e.seq).join(", ")}); expected one`,
        { file: "events.jsonl" },
      );
      continue;
    }
    const e = matching[0];
    for (const f of ["approver_id", "decision", "reason", "mfa"])
      compareField(pack, "approvals.json", a, f, e, e.event.data[f]);
    // Events from before MFA evidence existed record neither field.
    for (const f of ["mfa_method", "mfa_evidence_sha256"]) {
      if (Object.prototype.hasOwnProperty.call(e.event.data, f) && e.event.data[f] !== null)
        compareField(pack, "approvals.json", a, f, e, e.event.data[f]);
    }
    if (checkMfaEvidence(pack, a, e)) summary.approvals_with_passkey_proof += 1;
  }
  for (const e of approvalEvents) {
    if (e.event.action !== `approval.${e.event.data.decision}`) {
      fail(
        "binding_mismatch",
        `event seq ${e.seq} is ${e.event.action} but its data.decision is ${show(e.event.data.decision)}`,
        {
          file: "events.jsonl",
          seq: e.seq,
          field: "decision",
        },
      );
    }
    if (!entryCount.has(eventKey(e))) {
      fail(
        "binding_missing",
        `approval event seq ${e.seq} (${decisionName(e.event.data.approval_id, e.event.data.approver_id)}) has no entry in approvals.json`,
        { file: "approvals.json", seq: e.seq },
      );
    }
  }
}

// ---------------------------------------------------------------- MFA evidence
//
// A decision made with a passkey step-up carries the WebAuthn assertion and the
// credential's public key. The challenge the passkey signed is derived from the
// operation, so the signature itself says which payload was approved:
//   challenge = SHA-256(UTF-8("warden-step-up/v1" LF purpose LF target_id LF payload_hash LF nonce))
// The evidence's SHA-256 (canonical JSON) is recorded in the hash-chained
// approval event, so the evidence cannot be swapped after the fact.

const B64URL = /^[A-Za-z0-9_-]*$/;

function b64urlBytes(s) {
  return typeof s === "string" && B64URL.test(s) ? Buffer.from(s, "base64url") : null;
}

/** The WebAuthn challenge of a step-up for this operation (base64url). */
export function stepUpChallenge(purpose, targetId, payloadHash, nonce) {
  const text = ["warden-step-up/v1", purpose, targetId ?? "", payloadHash ?? "", nonce].join("\n");
  return sha256(Buffer.from(text, "utf8")).toString("base64url");
}

/**
 * Checks one passkey assertion offline: the challenge derived from (purpose,
 * approval id, payload hash, nonce), the type, origin and RP ID, user presence
 * and user verification, and the signature under the given public key.
 * Returns null when it holds, else what is wrong.
 */
export function verifyPasskeyAssertion(ev, expected) {
  if (!isObject(ev)) return "the evidence is not an object";
  if (ev.purpose !== expected.purpose) return `it is for ${show(ev.purpose)}, not ${expected.purpose}`;
  if (ev.target_id !== expected.targetId)
    return `it is for ${show(ev.target_id)}, not approval ${show(expected.targetId)}`;
  if (ev.payload_hash !== expected.payloadHash) {
    return `it names payload hash ${show(ev.payload_hash)}, not the action's ${show(expected.payloadHash)}`;
  }
  if (typeof ev.nonce !== "string" || ev.nonce.includes("\n")) return "its nonce is malformed";
  const clientData = b64urlBytes(ev.client_data_json);
  const authData = b64urlBytes(ev.authenticator_data);
  const signature = b64urlBytes(ev.signature);
  if (!clientData || !authData || !signature || authData.length < 37) return "its assertion fields are malformed";
  let cd;
  try {
    cd = JSON.parse(utf8.decode(clientData));
  } catch {
    return "its clientDataJSON is not JSON";
  }
  if (!isObject(cd) || cd.type !== "webauthn.get") return "its clientDataJSON is not an assertion (webauthn.get)";
  const challenge = stepUpChallenge(ev.purpose, ev.target_id, ev.payload_hash, ev.nonce);
  if (cd.challenge !== challenge) return "the passkey signed another challenge than this operation's";
  if (typeof ev.origin !== "string" || cd.origin !== ev.origin)
    return `it was made on ${show(cd.origin)}, not ${show(ev.origin)}`;
  if (typeof ev.rp_id !== "string" || !sha256(Buffer.from(ev.rp_id, "utf8")).equals(authData.subarray(0, 32))) {
    return `its authenticator data is not for RP ID ${show(ev.rp_id)}`;
  }
  const flags = authData[32];
  if (!(flags & 0x01)) return "the authenticator reports no user presence";
  if (!(flags & 0x04)) return "the authenticator reports no user verification";
  let key;
  try {
    key = createPublicKey({ key: ev.public_key_jwk, format: "jwk" });
  } catch {
    return "its public key is malformed";
  }
  const algs = { "-7": ["sha256", "EC"], "-257": ["sha256", "RSA"], "-8": [null, "OKP"] };
  const alg = algs[String(ev.alg)];
  if (!alg || ev.public_key_jwk?.kty !== alg[1])
    return `its algorithm ${show(ev.alg)} is not ES256, RS256 or EdDSA with a matching key`;
  const signed = Buffer.concat([authData, sha256(clientData)]);
  let ok = false;
  try {
    ok = verifySignature(alg[0], signed, key, signature);
  } catch {
    ok = false;
  }
  return ok ? null : "the signature does not verify under the credential's public key";
}

/**
 * approvals.json entry ↔ its event: the evidence hashes to what the event
 * recorded; a passkey assertion verifies for this approval and payload hash;
 * `mfa` is true exactly when it does. Returns true for a verified passkey proof.
 */
function checkMfaEvidence(pack, a, e) {
  const { fail } = pack;
  const has = Object.prototype.hasOwnProperty.call(a, "mfa_evidence") && a.mfa_evidence !== null;
  const recorded = e.event.data.mfa_evidence_sha256 ?? null;
  if (!has) {
    if (recorded !== null) {
      fail(
        "mfa_evidence_missing",
        `approvals.json entry for approval ${show(a.approval_id)} lacks the MFA evidence its event records`,
        {
          file: "approvals.json",
          seq: e.seq,
        },
      );
    } else if (a.mfa === true) {
      fail(
        "mfa_unproven",
        `approvals.json says approval ${show(a.approval_id)} was made with MFA but carries no evidence`,
        {
          file: "approvals.json",
          seq: e.seq,
        },
      );
    }
    return false;
  }
  let digest = null;
  try {
    digest = sha256Hex(Buffer.from(canonicalJson(a.mfa_evidence), "utf8"));
  } catch {
    digest = null;
  }
  if (digest === null || digest !== recorded) {
    fail(
      "mfa_evidence_mismatch",
      `the MFA evidence for approval ${show(a.approval_id)} is not what event seq ${e.seq} recorded (tampered?)`,
      {
        file: "approvals.json",
        seq: e.seq,
        field: "mfa_evidence",
      },
    );
    return false;
  }
  if (a.mfa_evidence.method !== "webauthn") {
    if (a.mfa === true) {
      fail(
        "mfa_unproven",
        `approval ${show(a.approval_id)}: only a passkey assertion proves MFA, not ${show(a.mfa_evidence.method)}`,
        {
          file: "approvals.json",
          seq: e.seq,
        },
      );
    }
    return false;
  }
  const problem = verifyPasskeyAssertion(a.mfa_evidence, {
    purpose: "approval.decide",
    targetId: a.approval_id,
    payloadHash: e.event.data.payload_hash,
  });
  if (problem) {
    fail(
      "mfa_assertion_invalid",
      `the passkey assertion for approval ${show(a.approval_id)} does not verify: ${problem}`,
      {
        file: "approvals.json",
        seq: e.seq,
        field: "mfa_evidence",
      },
    );
    return false;
  }
  if (a.mfa !== true) {
    fail(
      "binding_mismatch",
      `approval ${show(a.approval_id)} carries a valid passkey proof but its mfa flag is ${show(a.mfa)}`,
      {
        file: "approvals.json",
        seq: e.seq,
        field: "mfa",
      },
    );
  }
  return true;
}

/** The one event named `name` in events.jsonl, targeting the action; undefined (and reported) otherwise. */
function singleEvent({ fail }, events, name, actionId) {
  const found = events.filter((e) => e.event.action === name);
  if (found.length === 0) {
    fail("binding_missing", `events.jsonl has no ${name} event`, { file: "events.jsonl" });
    return undefined;
  }
  if (found.length > 1) {
    fail(
      "binding_duplicate",
      `events.jsonl has ${found.length} ${name} events (seq ${found.map((e) => e.seq).join(", ")}); expected one`,
      { file: "events.jsonl" },
    );
    return undefined;
  }
  const e = found[0];
  if (actionId !== undefined && !(e.event.target.type === "action" && e.event.target.id === actionId)) {
    fail(
      "binding_mismatch",
      `the ${name} event (seq ${e.seq}) must target {type:"action", id:${show(actionId)}}; it targets ${show(e.event.target)}`,
      { file: "events.jsonl", seq: e.seq },
    );
  }
  return e;
}

/** A content file's field must hold exactly what the event recorded (compared as canonical JSON). */
function compareField({ fail }, file, obj, field, e, recorded) {
  if (!Object.prototype.hasOwnProperty.call(obj, field)) {
    fail(
      "binding_mismatch",
      `${file} has no field "${field}" but the ${e.event.action} event (seq ${e.seq}) records ${show(recorded)}`,
      { file, field, seq: e.seq },
    );
  } else if (!sameJson(obj[field], recorded)) {
    fail(
      "binding_mismatch",
      `${file} field "${field}" is ${show(obj[field])} but the ${e.event.action} event (seq ${e.seq}) records ${show(recorded)}`,
      { file, field, seq: e.seq },
    );
  }
}

/** Human-readable report of a verifyProofPack result. */
export function formatReport(result) {
  const s = result.summary;
  if (!result.ok) {
    const n = result.problems.length;
    const lines = [`FAILED: this Warden proof pack does not verify (${n} problem${n === 1 ? "" : "s"})`];
    for (const p of result.problems) lines.push(`  - ${plain(p.message)}`);
    return `${lines.join("\n")}\n`;
  }
  const rows = [
    ["organization", s.org_id],
    ["action", `${s.action_id} (${s.tool} / ${s.operation})`],
    ["decision", `${s.effect}${s.policy_version !== null ? ` (policy version ${show(s.policy_version)})` : ""}`],
    [
      "approvals",
      `${s.approvals}${s.approvals_with_passkey_proof ? ` (${s.approvals_with_passkey_proof} with a verified passkey signature over the payload hash)` : ""}`,
    ],
    ["events verified", `${s.events.length} (seq ${s.events.join(", ")}): content hash, chain links, inclusion proofs`],
    ["tree size", String(s.tree_size)],
    ["root hash", s.root_hash],
    ["checkpoint time", s.checkpoint_time],
    ["key id", s.key_id],
    ["key fingerprint", `sha256:${s.fingerprint}`],
    ...(s.log_origin
      ? [
          ["log origin", s.log_origin],
          ["note verifier key", s.verifier_key],
        ]
      : []),
    ["pack created", s.created_at],
  ];
  const lines = ["OK: Warden proof pack verified", ...rows.map(([k, v]) => `  ${k.padEnd(16)} ${plain(v)}`)];
  if (s.expected_key) {
    lines.push("  The signing key matches the expected fingerprint.");
  } else {
    lines.push(
      "  Compare the key fingerprint with the one your organization published,",
      "  or run again with --expect-key <fingerprint> to make that part of the check.",
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Reads an unzipped pack folder. Hidden entries (a leading dot, such as
 * .DS_Store) are ignored; any other entry that is not one of the pack's files
 * is reported, and pack files must be regular files (not links or folders).
 */
export function readPackDirectory(dir) {
  const files = new Map();
  const problems = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const name = entry.name;
    if (name.startsWith(".")) continue;
    if (!PACK_FILES.includes(name)) {
      files.set(name, new Uint8Array(0));
      continue;
    }
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (!stat.isFile()) {
      problems.push({ code: "file_not_regular", message: `${name} is not a regular file`, file: name });
      continue;
    }
    if (stat.size > MAX_FILE_BYTES) {
      problems.push({ code: "file_too_large", message: `${name} is larger than ${MAX_FILE_BYTES} bytes`, file: name });
      continue;
    }
    files.set(name, readFileSync(path));
  }
  return { files, problems };
}

/** Adds problems found while reading (folder or archive) to a verification result. */
export function withReadProblems(result, readProblems) {
  if (readProblems.length === 0) return result;
  const problems = [...readProblems, ...result.problems];
  return { ...result, ok: false, problems };
}

const USAGE = `usage: node verify.mjs [folder] [--expect-key <fingerprint>] [--json]

Verifies an unzipped Warden proof pack (default: the current folder) offline.
  --expect-key <fingerprint>  the organization's published signing key: its
                              SHA-256 fingerprint (64 hex) or key id (16 hex)
  --json                      print the result as JSON
Exit status: 0 verified, 1 not verified, 2 usage error.
`;

/** The command line. Returns the exit status. */
export function main(argv, out = process.stdout, err = process.stderr) {
  let dir;
  let expectKey;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      out.write(USAGE);
      return 0;
    } else if (arg === "--json") {
      json = true;
    } else if (arg === "--expect-key") {
      expectKey = argv[++i];
      if (expectKey === undefined) {
        err.write(`--expect-key needs a value\n\n${USAGE}`);
        return 2;
      }
    } else if (arg.startsWith("--expect-key=")) {
      expectKey = arg.slice("--expect-key=".length);
    } else if (arg.startsWith("-") || dir !== undefined) {
      err.write(`unexpected argument ${JSON.stringify(arg)}\n\n${USAGE}`);
      return 2;
    } else {
      dir = arg;
    }
  }
  let read;
  try {
    read = readPackDirectory(dir ?? ".");
  } catch (e) {
    err.write(`cannot read ${JSON.stringify(dir ?? ".")}: ${e.message}\n`);
    return 2;
  }
  const result = withReadProblems(verifyProofPack(read.files, { expectKey }), read.problems);
  out.write(json ? `${JSON.stringify(result, null, 2)}\n` : formatReport(result));
  return result.ok ? 0 : 1;
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

if (isMainModule()) process.exitCode = main(process.argv.slice(2));
