/** Recognises a unique-constraint violation from Prisma or from raw SQL. */
export function isUniqueViolation(e: unknown): boolean {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === "object"; i++) {
    const code = (cur as { code?: unknown }).code;
    if (code === "P2002" || code === "23505") return true;
    const meta = (cur as { meta?: { driverAdapterError?: { cause?: { originalCode?: string; kind?: string } } } }).meta;
    const cause = meta?.driverAdapterError?.cause;
    if (cause?.originalCode === "23505" || cause?.kind === "UniqueConstraintViolation") return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}
