/**
 * The checker's type model: CEL types as the checker sees them (with records,
 * which exist only here), the variables a policy condition may name, and the
 * function overloads read from a CelEnv.
 */
import type { CelEnv, CelType } from "@bufbuild/cel";

export type Ty =
  | { readonly k: "dyn" }
  | { readonly k: "prim"; readonly name: PrimName }
  | { readonly k: "list"; readonly elem: Ty }
  | { readonly k: "map"; readonly key: Ty; readonly value: Ty }
  | { readonly k: "object"; readonly name: string }
  | { readonly k: "record"; readonly name: string; readonly fields: Readonly<Record<string, Ty>> };

type PrimName = "bool" | "int" | "uint" | "double" | "string" | "bytes" | "null_type" | "type";

export const DYN: Ty = { k: "dyn" };
const prim = (name: PrimName): Ty => ({ k: "prim", name });
export const BOOL = prim("bool");
export const INT = prim("int");
export const UINT = prim("uint");
export const DOUBLE = prim("double");
export const STRING = prim("string");
export const BYTES = prim("bytes");
export const NULL = prim("null_type");
export const TYPE = prim("type");

/** The variables a condition may reference, with their static types. */
export const CONDITION_VARIABLES: Readonly<Record<string, Ty>> = {
  agent: {
    k: "record",
    name: "agent",
    fields: { slug: STRING, name: STRING, environment: STRING },
  },
  tool: STRING,
  operation: STRING,
  params: { k: "map", key: STRING, value: DYN },
  context: { k: "map", key: STRING, value: DYN },
  env: STRING,
};

// Type names usable as values, e.g. `type(params.amount) == double`.
export const TYPE_IDENTIFIERS = new Set([
  "bool",
  "int",
  "uint",
  "double",
  "string",
  "bytes",
  "list",
  "map",
  "null_type",
  "type",
  "google.protobuf.Timestamp",
  "google.protobuf.Duration",
]);

export function formatType(t: Ty): string {
  switch (t.k) {
    case "dyn":
      return "dyn";
    case "prim":
      return t.name;
    case "list":
      return `list(${formatType(t.elem)})`;
    case "map":
      return `map(${formatType(t.key)}, ${formatType(t.value)})`;
    case "object":
      return t.name;
    case "record":
      return "map(string, string)";
  }
}

function fromCelType(t: CelType): Ty {
  switch (t.kind) {
    case "scalar":
      return t.name === "dyn" ? DYN : prim(t.name);
    case "list":
      return { k: "list", elem: fromCelType(t.element) };
    case "map":
      return { k: "map", key: fromCelType(t.key), value: fromCelType(t.value) };
    case "object":
      return { k: "object", name: t.name };
  }
}

// Records exist only in the checker; at run time `agent` is a map(string, string).
export function asRuntime(t: Ty): Ty {
  return t.k === "record" ? { k: "map", key: STRING, value: STRING } : t;
}

export function assignable(declared: Ty, actual: Ty): boolean {
  const a = asRuntime(actual);
  if (declared.k === "dyn" || a.k === "dyn") return true;
  switch (declared.k) {
    case "prim":
      return a.k === "prim" && a.name === declared.name;
    case "list":
      return a.k === "list" && assignable(declared.elem, a.elem);
    case "map":
      return a.k === "map" && assignable(declared.key, a.key) && assignable(declared.value, a.value);
    case "object":
      return a.k === "object" && a.name === declared.name;
    case "record":
      return false;
  }
}

export function sameType(a: Ty, b: Ty): boolean {
  return formatType(asRuntime(a)) === formatType(asRuntime(b));
}

export function isKnown(t: Ty): boolean {
  return t.k !== "dyn";
}

export type Overload = { target: Ty | undefined; args: Ty[]; result: Ty };

function overloadTable(env: CelEnv): Map<string, Overload[]> {
  const table = new Map<string, Overload[]>();
  for (const f of env.funcs) {
    const list = table.get(f.name) ?? [];
    list.push({
      target: f.target === undefined ? undefined : fromCelType(f.target),
      args: f.arguments.map(fromCelType),
      result: fromCelType(f.result),
    });
    table.set(f.name, list);
  }
  return table;
}

const tableCache = new WeakMap<CelEnv, Map<string, Overload[]>>();

export function overloadsOf(env: CelEnv): Map<string, Overload[]> {
  let table = tableCache.get(env);
  if (table === undefined) {
    table = overloadTable(env);
    tableCache.set(env, table);
  }
  return table;
}
