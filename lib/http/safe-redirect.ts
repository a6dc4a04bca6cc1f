/** Only same-site absolute paths; anything else (//evil, https://…, \\) falls back to "/". */
export function safeNextPath(next: string | undefined | null): string {
  if (!next || next.length > 500) return "/";
  if (!next.startsWith("/") || next.startsWith("//") || next.includes("\\")) return "/";
  if (/[\u0000-\u001f]/.test(next)) return "/";
  return next;
}
