import { db } from "./client";

/** One row in one transaction on the raw pool: the floor `npm run bench` compares the hot path against. */
export async function benchFloorInsert(): Promise<string> {
  const client = await db().pool.connect();
  try {
    await client.query("BEGIN");
    const r = await client.query<{ id: string }>({ name: "bench_floor_insert", text: "INSERT INTO bench_floor DEFAULT VALUES RETURNING id::text" });
    await client.query("COMMIT");
    return r.rows[0]!.id;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
