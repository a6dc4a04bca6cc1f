export function normaliseIp(ip: unknown): string | null;
export function clientIp(
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
  hops: number,
): string | null;
