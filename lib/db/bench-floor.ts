import { pipelinedTransaction } from "./sql";

/**
 * One row in one transaction, sent the way the hot path sends its own
 * (BEGIN, the statement and COMMIT pipelined): the floor `npm run bench`
 * compares POST /api/v1/actions against.
 */
export async function benchFloorInsert(): Promise<string> {
  const [rows] = await pipelinedTransaction([
    { text: "INSERT INTO bench_floor DEFAULT VALUES RETURNING id::text AS id", name: "bench_floor_insert" },
  ]);
  return (rows![0] as { id: string }).id;
}
