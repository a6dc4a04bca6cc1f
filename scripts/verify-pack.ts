// npm run verify-pack -- <pack.zip> [--expect-key <fingerprint>] [--json]
// Verifies a zipped Warden proof pack with the same checks as the verify.mjs
// inside every pack. Exit status: 0 verified, 1 not verified, 2 usage error.
import { readFileSync } from "node:fs";
import { formatReport } from "../lib/proof-pack/verify.mjs";
import { verifyProofPackZip } from "../lib/proof-pack/verify-zip";

const USAGE = "usage: npm run verify-pack -- <pack.zip> [--expect-key <fingerprint>] [--json]\n";

function run(argv: string[]): number {
  let file: string | undefined;
  let expectKey: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      process.stdout.write(USAGE);
      return 0;
    } else if (arg === "--json") {
      json = true;
    } else if (arg === "--expect-key") {
      expectKey = argv[++i];
      if (expectKey === undefined) {
        process.stderr.write(`--expect-key needs a value\n${USAGE}`);
        return 2;
      }
    } else if (arg.startsWith("--expect-key=")) {
      expectKey = arg.slice("--expect-key=".length);
    } else if (arg.startsWith("-") || file !== undefined) {
      process.stderr.write(`unexpected argument ${JSON.stringify(arg)}\n${USAGE}`);
      return 2;
    } else {
      file = arg;
    }
  }
  if (file === undefined) {
    process.stderr.write(USAGE);
    return 2;
  }
  let zip: Uint8Array;
  try {
    zip = readFileSync(file);
  } catch (e) {
    process.stderr.write(`cannot read ${JSON.stringify(file)}: ${(e as Error).message}\n`);
    return 2;
  }
  const result = verifyProofPackZip(zip, { expectKey });
  process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : formatReport(result));
  return result.ok ? 0 : 1;
}

process.exitCode = run(process.argv.slice(2));
