import { unzipSync } from "fflate";
import { PACK_FILES, verifyProofPack, withReadProblems, type PackVerification, type Problem } from "./verify.mjs";

export type { PackVerification, Problem } from "./verify.mjs";

/** Enough for any single action's pack; a zip claiming more is refused before inflating. */
export const DEFAULT_MAX_UNZIPPED_BYTES = 64 * 1024 * 1024;

export type VerifyZipOptions = {
  /** The organization's published key: fingerprint (64 hex) or key id (16 hex). */
  expectKey?: string;
  maxUnzippedBytes?: number;
};

/**
 * Unzips a pack in memory. Only the fixed top-level names are inflated; any
 * other entry (a folder, a path, a duplicate) is reported by name and never
 * touches the file system, so path traversal cannot happen.
 */
export function unzipProofPack(
  zip: Uint8Array,
  maxUnzippedBytes = DEFAULT_MAX_UNZIPPED_BYTES,
): { files: Map<string, Uint8Array>; problems: Problem[] } {
  const problems: Problem[] = [];
  const names = new Map<string, number>();
  let declared = 0;
  let tooLarge = false;
  let inflated: Record<string, Uint8Array>;
  try {
    inflated = unzipSync(zip, {
      filter(file) {
        names.set(file.name, (names.get(file.name) ?? 0) + 1);
        if (!(PACK_FILES as readonly string[]).includes(file.name)) return false;
        declared += file.originalSize;
        if (declared > maxUnzippedBytes) tooLarge = true;
        return !tooLarge && names.get(file.name) === 1;
      },
    });
  } catch {
    return { files: new Map(), problems: [{ code: "zip_invalid", message: "the file is not a readable zip archive" }] };
  }
  if (tooLarge) {
    problems.push({ code: "zip_too_large", message: `the archive unpacks to more than ${maxUnzippedBytes} bytes` });
  }
  const files = new Map<string, Uint8Array>();
  for (const [name, count] of names) {
    if (count > 1) {
      problems.push({
        code: "zip_duplicate_entry",
        message: `the archive holds ${JSON.stringify(name)} ${count} times`,
        file: name,
      });
    }
    const bytes = inflated[name];
    if (bytes !== undefined) files.set(name, bytes);
    // Unexpected names stay in the map, empty, so the verifier reports them.
    else if (!(PACK_FILES as readonly string[]).includes(name)) files.set(name, new Uint8Array(0));
  }
  return { files, problems };
}

/** Runs the same checks as `node verify.mjs` on a zipped pack held in memory. */
export function verifyProofPackZip(zip: Uint8Array, opts: VerifyZipOptions = {}): PackVerification {
  const { files, problems } = unzipProofPack(zip, opts.maxUnzippedBytes);
  if (problems.some((p) => p.code === "zip_invalid")) {
    return { ...verifyProofPack(new Map()), ok: false, problems };
  }
  // A duplicated name is ambiguous (tools disagree on which copy wins), so
  // neither copy counts as the file.
  for (const p of problems) if (p.code === "zip_duplicate_entry" && p.file) files.delete(p.file);
  return withReadProblems(verifyProofPack(files, { expectKey: opts.expectKey }), problems);
}
