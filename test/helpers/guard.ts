/**
 * Test helpers drop and rewrite data. They refuse anything but a local
 * database whose name says it is for tests.
 */
export function assertLocalTestDatabase(url: string): void {
  const u = new URL(url);
  const local = ["localhost", "127.0.0.1", "::1", "[::1]"].includes(u.hostname);
  const name = u.pathname.replace(/^\//, "");
  if (!local || !/(_test|_e2e)$/.test(name)) {
    throw new Error(
      `Refusing to run tests against ${u.hostname}/${name}: only a local *_test or *_e2e database is allowed`,
    );
  }
}
