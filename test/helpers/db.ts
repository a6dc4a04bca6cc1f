import pg from "pg";
import { assertLocalTestDatabase } from "./guard";

let ownerPool: pg.Pool | undefined;

/** A pool connected as the owner/migrator: for catalog checks and tampering, never for app code. */
export function owner(): pg.Pool {
  if (!ownerPool) {
    const url = process.env.TEST_OWNER_DATABASE_URL!;
    assertLocalTestDatabase(url);
    ownerPool = new pg.Pool({ connectionString: url, max: 3 });
  }
  return ownerPool;
}

/** A raw client connected as warden_app, for tests that drive SQL by hand. */
export async function appClient(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: process.env.APP_DATABASE_URL! });
  await c.connect();
  return c;
}

export async function closeOwner(): Promise<void> {
  await ownerPool?.end();
  ownerPool = undefined;
}
