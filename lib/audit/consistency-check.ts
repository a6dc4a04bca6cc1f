/**
 * RFC 9162 §2.1.4.2 consistency-proof verification with an injected SHA-256,
 * so a browser can check a proof itself with Web Crypto (crypto.subtle)
 * instead of taking the server's word. Same rules as verifyConsistencyProof
 * in merkle.ts (0 < oldSize ≤ newSize; no proof from the empty tree), which
 * the unit tests compare it with. Framework-free and dependency-free.
 */

export type Sha256 = (data: Uint8Array<ArrayBuffer>) => Promise<Uint8Array>;

function fromHex(hex: string): Uint8Array | null {
  if (!/^[0-9a-f]{64}$/.test(hex)) return null;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export async function checkConsistencyProof(
  sha256: Sha256,
  args: { oldSize: number; newSize: number; oldRoot: string; newRoot: string; proof: readonly string[] },
): Promise<boolean> {
  const { oldSize, newSize } = args;
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 1 || newSize < oldSize)
    return false;
  const oldRoot = fromHex(args.oldRoot);
  const newRoot = fromHex(args.newRoot);
  const proof = args.proof.map(fromHex);
  if (!oldRoot || !newRoot || proof.some((p) => p === null)) return false;
  const hashes = proof as Uint8Array[];
  if (oldSize === newSize) return hashes.length === 0 && equal(oldRoot, newRoot);
  if (hashes.length === 0) return false;

  const children = async (l: Uint8Array, r: Uint8Array) => {
    const buf = new Uint8Array(65);
    buf[0] = 1;
    buf.set(l, 1);
    buf.set(r, 33);
    return sha256(buf);
  };
  let pow = 1;
  while (pow < oldSize) pow *= 2;
  const path = pow === oldSize ? [oldRoot, ...hashes] : hashes;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = await children(c, fr);
      sr = await children(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = await children(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, oldRoot) && equal(sr, newRoot);
}
