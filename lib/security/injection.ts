/**
 * Prompt-injection heuristics for text that flows back to an agent (connector
 * output). This is a flag for the agent and the audit record, never a block:
 * the patterns are phrased as instructions addressed to a model, so ordinary
 * prose about "instructions", "system prompts" or "tokens" does not trip them.
 */

export type InjectionResult = { flagged: boolean; patterns: string[] };

type Rule = { id: string; re: RegExp };

const RULES: readonly Rule[] = [
  {
    id: "ignore_previous_instructions",
    re: /\b(?:ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|every|the|your|my|these|those|of|everything)\s+){0,3}(?:previous|prior|above|earlier|preceding|former|original|initial|system|developer)\s+(?:instructions?|prompts?|directions?|directives?|rules|guidelines|messages?|context|commands?)\b/i,
  },
  {
    id: "new_instructions",
    re: /\b(?:new|updated|real|actual|override)\s+(?:system\s+)?instructions?\s*:/i,
  },
  {
    id: "role_override",
    re: /\byou\s+are\s+now\s+(?:an?\s+|the\s+|in\s+)?(?:dan\b|(?:developer|god|jailbreak|jailbroken|unrestricted|admin|sudo)\s+mode\b|(?:unrestricted|unfiltered|uncensored|jailbroken|evil|new|different|rogue)\s+(?:ai|assistant|model|chatbot|bot|persona|character|system|agent)\b)/i,
  },
  {
    id: "role_override",
    re: /\bfrom\s+now\s+on,?\s+you\s+(?:will|must|shall|should)\s+(?:only\s+|always\s+)?(?:respond|answer|reply|act|behave|obey|follow|ignore|pretend)\b/i,
  },
  {
    id: "role_override",
    re: /\b(?:act|behave|respond)\s+as\s+(?:if\s+you\s+(?:are|were)\s+)?(?:an?\s+)?(?:unrestricted|unfiltered|uncensored|jailbroken)\b/i,
  },
  {
    id: "system_prompt_disclosure",
    re: /\b(?:reveal|print|show|display|output|repeat|leak|disclose|dump|tell\s+me|give\s+me|what\s+(?:is|are|was|were))\s+(?:me\s+)?(?:your|the)\s+(?:(?:full|entire|complete|exact|original|hidden|secret)\s+)?(?:system\s+prompt|system\s+message|initial\s+(?:prompt|instructions)|hidden\s+(?:prompt|instructions)|original\s+instructions|instructions\s+above|developer\s+(?:message|prompt))\b/i,
  },
  {
    id: "system_prompt_disclosure",
    re: /\brepeat\s+(?:all\s+|everything\s+|the\s+)?(?:words|text|everything)\s+above\b/i,
  },
  {
    id: "role_tag",
    re: /<\|(?:im_start|im_end|im_sep|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|begin_of_text)\|>|\[\/?INST\]|<<\/?SYS>>/i,
  },
  {
    id: "conceal_from_user",
    re: /\b(?:do\s+not|don'?t|never)\s+(?:tell|inform|alert|notify|reveal\s+(?:this\s+)?to|mention\s+(?:this\s+|it\s+)?to|let)\s+(?:the\s+)?(?:user|human|operator|owner)\b/i,
  },
  {
    id: "conceal_from_user",
    re: /\bwithout\s+(?:telling|informing|alerting|notifying|asking)\s+(?:the\s+)?(?:user|human|operator)\b/i,
  },
  {
    id: "exfiltration",
    re: /\b(?:send|forward|post|upload|email|leak|exfiltrate)\s+(?:(?:all|the|your|any|every)\s+){0,2}(?:conversation|chat\s+history|credentials|api\s+keys?|secrets?|passwords?|access\s+tokens?|private\s+data|system\s+prompt|environment\s+variables)\s+to\s+(?:https?:\/\/|[\w.+-]+@[\w-]+\.)/i,
  },
];

// Zero-width and bidi control characters are stripped before matching so
// "ig\u200Bnore previous instructions" still reads as the phrase it renders as.
const INVISIBLE_RE = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

// Unicode "tag" characters (U+E0020–U+E007E) mirror ASCII invisibly. A flag
// emoji for a subdivision uses at most six of them; longer runs are hidden
// text.
const TAG_RUN_RE = /(?:\uDB40[\uDC20-\uDC7F]){7,}/g;

const BASE64_RE = /[A-Za-z0-9+/]{24,}={0,2}|[A-Za-z0-9_-]{24,}={0,2}/g;

export const DEFAULT_MAX_SCAN_CHARS = 1_000_000;

function normalise(text: string): string {
  return text.normalize("NFKC").replace(INVISIBLE_RE, "").replace(/\s+/g, " ");
}

function matchRules(text: string, found: Set<string>): void {
  for (const r of RULES) if (!found.has(r.id) && r.re.test(text)) found.add(r.id);
}

function decodeTagRun(run: string): string {
  let out = "";
  for (const ch of run) out += String.fromCharCode(ch.codePointAt(0)! - 0xe0000);
  return out;
}

/** Decoded text if `blob` is base64 of mostly printable text, else null. */
function decodeBase64Text(blob: string): string | null {
  const buf = Buffer.from(blob.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  if (buf.length < 16) return null;
  let printable = 0;
  for (const b of buf) if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09) printable++;
  return printable / buf.length >= 0.95 ? buf.toString("latin1") : null;
}

/**
 * Flags text that reads like instructions aimed at the model consuming it.
 * `patterns` lists rule ids (each once): ignore_previous_instructions,
 * new_instructions, role_override, system_prompt_disclosure, role_tag,
 * conceal_from_user, exfiltration, hidden_unicode_text, and
 * encoded_instructions (a base64 blob that decodes to text matching a rule).
 */
export function detectInjection(text: string, opts: { maxScanChars?: number } = {}): InjectionResult {
  const limit = opts.maxScanChars ?? DEFAULT_MAX_SCAN_CHARS;
  const scanned = text.length > limit ? text.slice(0, limit) : text;
  const found = new Set<string>();

  for (const run of scanned.match(TAG_RUN_RE) ?? []) {
    found.add("hidden_unicode_text");
    matchRules(normalise(decodeTagRun(run)), found);
  }

  matchRules(normalise(scanned), found);

  const encoded = new Set<string>();
  for (const blob of scanned.match(BASE64_RE) ?? []) {
    const decoded = decodeBase64Text(blob);
    if (decoded === null) continue;
    matchRules(normalise(decoded), encoded);
    if (encoded.size > 0) {
      found.add("encoded_instructions");
      break;
    }
  }

  const patterns = [...found].sort();
  return { flagged: patterns.length > 0, patterns };
}
