import { DEFAULT_CONNECTOR_MODES, type ConnectorModes } from "../connectors/registry";
import { env } from "../env";

/** The environment → connector mode table, from WARDEN_CONNECTOR_MODES (configuration, never code). */
export function connectorModes(): ConnectorModes {
  const spec = env().WARDEN_CONNECTOR_MODES;
  const modes: ConnectorModes = { ...DEFAULT_CONNECTOR_MODES };
  if (!spec) return modes;
  for (const part of spec.split(",")) {
    const [k, v] = part.trim().split("=") as [keyof ConnectorModes, ConnectorModes[keyof ConnectorModes]];
    modes[k] = v;
  }
  return modes;
}
