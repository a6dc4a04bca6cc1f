import type { Tx } from "../db/tenant";

/**
 * The delivery log and the queue. A delivery is written and its job enqueued
 * in the caller's transaction (graphile-worker's add_job is plain SQL), so a
 * notification is sent if and only if the change that caused it committed;
 * the worker (deliver.ts) sends it after commit.
 *
 * The job carries only (org_id, delivery_id); the worker reads everything
 * else inside the organization's tenant transaction.
 */
export const DELIVERY_TASK = "alert_delivery";

export type DeliveryInput = {
  eventType: string;
  firingId: string | null;
  payload: Record<string, unknown>;
};

/** Writes one delivery per enabled channel of this organization among `channelIds`; returns their ids. */
export async function enqueueDeliveries(
  tx: Tx,
  orgId: string,
  channelIds: readonly string[],
  input: DeliveryInput,
  opts: { replayOf?: string | null } = {},
): Promise<string[]> {
  if (channelIds.length === 0) return [];
  const rows = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO alert_deliveries (org_id, channel_id, firing_id, event_type, payload, status, next_attempt_at, replay_of)
    SELECT ${orgId}::uuid, c.id, ${input.firingId}::uuid, ${input.eventType}, ${JSON.stringify(input.payload)}::jsonb,
           'pending', now(), ${opts.replayOf ?? null}::uuid
    FROM alert_channels c
    WHERE c.org_id = ${orgId}::uuid AND c.id = ANY(${[...channelIds]}::uuid[]) AND c.disabled_at IS NULL
    RETURNING id::text`;
  for (const r of rows) await addDeliveryJob(tx, orgId, r.id, null);
  return rows.map((r) => r.id);
}

export async function addDeliveryJob(tx: Tx, orgId: string, deliveryId: string, runAt: Date | null): Promise<void> {
  // max_attempts covers the worker failing to run the job at all (database
  // down); the delivery's own retries (with backoff and Retry-After) are new jobs.
  await tx.$queryRaw`
    SELECT 1 FROM graphile_worker.add_job(${DELIVERY_TASK}, json_build_object('org_id', ${orgId}::text, 'delivery_id', ${deliveryId}::text),
                                          run_at => ${runAt}::timestamptz, max_attempts => 5)`;
}
