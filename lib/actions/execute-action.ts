import { createHash } from "node:crypto";
import { appendAuditEvent } from "../audit/append-event";
import { connectorModes } from "../config/connectors";
import { encryptionKeyring } from "../config/crypto";
import { connectorFor, isManagedTool, type ConnectorResult } from "../connectors/registry";
import { isSafeHttpError } from "../connectors/safe-http";
import { withTenantSql } from "../db/sql";
import { AppError, notFound } from "../errors";
import { log } from "../log";
import { actorOf, type OrgContext } from "../rbac/context";
import { notifyActionChanged } from "./notify";
import { decrypt } from "../security/keyring";

export type ExecutionView = { id: string; status: "executed" | "failed"; result: unknown; error: string | null };

/**
 * Executes an allowed or approved action on a managed connector (http_proxy)
 * for the agent that submitted it. The connector is chosen by the agent's
 * environment (sandbox in development, live in production). The original
 * parameters are decrypted only here, and refused if they no longer hash to the
 * payload the decision (and any approval) was bound to. The outbound call runs
 * outside any database transaction; its outcome is recorded after.
 */
export async function executeAction(ctx: OrgContext, id: string): Promise<ExecutionView> {
  if (ctx.principal.kind !== "api_key" || !ctx.principal.key.agent) {
    throw new AppError("forbidden", "Actions are executed by the agent that submitted them, with its API key");
  }
  const agent = ctx.principal.key.agent;

  const claimed = await withTenantSql({ orgId: ctx.org.id }, async (sql) => {
    const [a] = await sql.query<{
      status: string;
      tool: string;
      operation: string;
      params_encrypted: string | null;
      payload_hash: string;
      http_allowed_domains: string[];
      http_allowed_private_cidrs: string[];
      sensitive_keys: string[];
    }>(
      `SELECT a.status::text, a.tool, a.operation, a.params_encrypted, a.payload_hash,
              o.http_allowed_domains, o.http_allowed_private_cidrs, o.sensitive_keys
       FROM actions a JOIN organizations o ON o.id = a.org_id
       WHERE a.id = $1 AND a.agent_id = $2 FOR UPDATE OF a`,
      [id, agent.id],
      "action_claim",
    );
    if (!a) throw notFound("Action");
    if (a.status !== "allowed" && a.status !== "approved") {
      throw new AppError("conflict", `Only an allowed or approved action can be executed; this one is ${a.status}`);
    }
    if (!isManagedTool(a.tool)) {
      throw new AppError(
        "validation_failed",
        `"${a.tool}" is not a connector Warden runs; execute it yourself once allowed`,
      );
    }
    if (!a.params_encrypted)
      throw new AppError("conflict", "The action's parameters have expired under the retention policy");
    const plaintext = decrypt(encryptionKeyring(), a.params_encrypted, id);
    if (createHash("sha256").update(plaintext, "utf8").digest("hex") !== a.payload_hash) {
      throw new AppError("conflict", "The stored payload does not match the decided payload hash; refusing to execute");
    }
    await sql.query(
      "UPDATE actions SET status = 'executing', updated_at = now() WHERE id = $1",
      [id],
      "action_executing",
    );
    return { ...a, payload: JSON.parse(plaintext) as { params: unknown } };
  });

  let result: ConnectorResult | null = null;
  let error: string | null = null;
  try {
    const connector = connectorFor(claimed.tool, agent.environment, { modes: connectorModes() });
    result = await connector.execute(
      { id, tool: claimed.tool, params: claimed.payload.params },
      {
        allowDomains: claimed.http_allowed_domains,
        allowPrivateCidrs: claimed.http_allowed_private_cidrs,
        sensitiveKeys: claimed.sensitive_keys,
      },
    );
  } catch (e) {
    if (isSafeHttpError(e)) error = `${e.reason}: ${e.message}`;
    else if (e instanceof AppError) error = e.message;
    else {
      log().error({ err: e, actionId: id }, "connector failed unexpectedly");
      error = "The connector failed unexpectedly";
    }
  }

  const status = error ? "failed" : "executed";
  await withTenantSql({ orgId: ctx.org.id }, async (sql) => {
    await sql.query(
      `UPDATE actions SET status = $2::action_status, result = $3, error = $4, executed_at = now(), updated_at = now() WHERE id = $1`,
      [id, status, result ? JSON.stringify(result) : null, error],
      "action_executed",
    );
    const out = result && "output" in result ? result.output : null;
    await appendAuditEvent(sql, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: error ? "action.execution_failed" : "action.executed",
      target: { type: "action", id },
      ip: ctx.ip,
      data: {
        connector: claimed.tool,
        mode: result?.mode ?? null,
        http_status: result && "response" in result ? result.response.status : null,
        output_sha256: out ? createHash("sha256").update(out.text, "utf8").digest("hex") : null,
        truncated: out?.truncated ?? null,
        injection_flagged: out?.injection.flagged ?? null,
        error,
      },
    });
    await notifyActionChanged(sql, [id]);
  });
  return { id, status, result, error };
}
