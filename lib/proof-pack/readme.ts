export type ReadmeFacts = {
  orgId: string;
  actionId: string;
  createdAt: string;
  keyId: string;
  fingerprint: string;
  treeSize: number;
  checkpointTime: string;
  eventCount: number;
  /** The note verifier key of the signing key under the organization's log origin. */
  verifierKey: string;
};

/** README.txt of a proof pack: plain ASCII, readable in any viewer. */
export function renderReadme(f: ReadmeFacts): string {
  return `WARDEN PROOF PACK
=================

Organization   ${f.orgId}
Action         ${f.actionId}
Created        ${f.createdAt}
Audit events   ${f.eventCount}, proven against a checkpoint of ${f.treeSize} events (${f.checkpointTime})
Signing key    ${f.keyId}
Fingerprint    sha256:${f.fingerprint}
Verifier key   ${f.verifierKey}

This pack is evidence of what Warden recorded about one action taken by an AI
agent: the action as submitted, the policy decision and the rule that matched,
the human approvals (who, when, whether MFA was used), and the audit events
behind all of them. Every audit event is part of the organization's
hash-chained audit log; each is shown to be in that log by a Merkle inclusion
proof (RFC 6962) against a checkpoint signed with the organization's Ed25519
key. The files are bound together by a signed manifest.


HOW TO VERIFY (offline, no dependencies)

  1. Unzip this pack into an empty folder.
  2. In that folder run:            node verify.mjs
     (Node.js 18 or newer; verify.mjs uses only Node's built-in modules and
     makes no network connection.)
  3. Better: check the signing key against the fingerprint your organization
     published, obtained independently of this pack:
                                     node verify.mjs --expect-key <fingerprint>

  "OK" and exit status 0: every check passed.
  "FAILED" and exit status 1: the pack is not intact; every problem found is
  listed (which file, which event, which field).

  verify.mjs travels inside the pack it checks. For independent assurance run
  a copy you obtained from Warden's source instead:
                                     node /path/to/trusted/verify.mjs <this folder>


WHAT IS CHECKED

  - manifest.json lists the SHA-256 of every other file; manifest.sig is an
    Ed25519 signature over manifest.json, so no file can be edited, removed
    or added without breaking it.
  - public-key.pem is the key that signed both manifest.json and the
    checkpoint; its key id is derived from it, so a swapped key is detected.
  - Each line of events.jsonl is re-hashed: SHA-256(prev_hash || RFC 8785
    canonical JSON of the event) must equal its hash (an edited event fails),
    events must be in increasing seq order without duplicates, and
    consecutive events must link by prev_hash.
  - Each event hash is proven to be leaf (seq - 1) of the checkpoint's Merkle
    tree by its audit path in proofs.json.
  - checkpoint.note is the same checkpoint as a C2SP signed note
    (c2sp.org/tlog-checkpoint), the form transparency-log tools read; it must
    verify with checkpoint.vkey (the same key, named by the organization's log
    origin) and state the same tree size and root hash. Any standard tool can
    check it too, e.g. Go's golang.org/x/mod/sumdb/note with that key.
  - action.json, decision.json and approvals.json must agree field by field
    with the action.submitted, action.decided and approval.* events, and
    every event must be about this action.


FILES

  manifest.json    pack format, organization, action, creation time, key id,
                   SHA-256 of every other file
  manifest.sig     Ed25519 signature over manifest.json
  action.json      the action as recorded
  decision.json    the policy decision, policy version and matching rule
  approvals.json   approval decisions: approver, decision, reason, MFA, time
  events.jsonl     the audit events about this action, one canonical JSON per line
  proofs.json      one Merkle inclusion proof per event
  checkpoint.json  the signed checkpoint (organization, tree size, root hash, time)
  checkpoint.note  the same checkpoint as a C2SP signed note (origin, size, root)
  checkpoint.vkey  the note verifier key: <origin>+<key hash>+<base64 key>
  public-key.pem   the organization's Ed25519 public key (SPKI PEM)
  verify.mjs       the verifier
  README.txt       this file

The format is specified in docs/proof-pack-format.md in Warden's source.
`;
}
