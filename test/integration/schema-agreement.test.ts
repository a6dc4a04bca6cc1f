import { readFileSync } from "node:fs";
import { getDMMF } from "@prisma/get-dmmf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeOwner, owner } from "../helpers/db";

/**
 * The SQL migrations are the source of truth; prisma/schema.prisma is the
 * typed client's view. This test fails when they drift: a table, column, type,
 * nullability, enum value, primary key or unique constraint that one has and
 * the other lacks.
 */
type Dmmf = Extract<Awaited<ReturnType<typeof getDMMF>>, { datamodel: unknown }>;
type Column = {
  table_name: string;
  column_name: string;
  data_type: string;
  udt_name: string;
  is_nullable: "YES" | "NO";
};

let dmmf: Dmmf;
let columns: Column[];

const IGNORED_TABLES = new Set(["schema_migrations"]);

beforeAll(async () => {
  const parsed = await getDMMF({ datamodel: readFileSync("prisma/schema.prisma", "utf8") });
  if (!("datamodel" in parsed)) throw new Error(`schema.prisma does not parse: ${JSON.stringify(parsed)}`);
  dmmf = parsed;
  columns = (
    await owner().query(
      `SELECT table_name, column_name, data_type, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
    )
  ).rows as Column[];
});
afterAll(closeOwner);

const tableOf = (m: Dmmf["datamodel"]["models"][number]) => m.dbName ?? m.name;
const columnOf = (f: { dbName?: string | null; name: string }) => f.dbName ?? f.name;

function expectedType(field: Dmmf["datamodel"]["models"][number]["fields"][number]): string[] {
  if (field.kind === "enum") {
    const e = dmmf.datamodel.enums.find((x) => x.name === field.type)!;
    return [`USER-DEFINED:${e.dbName ?? e.name}`];
  }
  const native = (field.nativeType?.[0] as string | undefined) ?? null;
  const base: Record<string, string[]> = {
    String: native === "Uuid" ? ["uuid"] : native === "VarChar" ? ["character varying"] : ["text"],
    Int: native === "SmallInt" ? ["smallint"] : ["integer"],
    BigInt: ["bigint"],
    Boolean: ["boolean"],
    DateTime: ["timestamp with time zone"],
    Json: ["jsonb"],
    Bytes: ["bytea"],
    Float: ["double precision"],
    Decimal: ["numeric"],
  };
  const t = base[field.type] ?? [`unknown:${field.type}`];
  return field.isList ? ["ARRAY"] : t;
}

describe("prisma/schema.prisma agrees with the migrated catalog", () => {
  it("every table has a model and every model a table", async () => {
    const dbTables = new Set(columns.map((c) => c.table_name).filter((t) => !IGNORED_TABLES.has(t)));
    const modelTables = new Set(dmmf.datamodel.models.map(tableOf));
    expect([...dbTables].sort()).toEqual([...modelTables].sort());
  });

  it("every column matches a field with the same type and nullability, both ways", () => {
    const problems: string[] = [];
    for (const model of dmmf.datamodel.models) {
      const table = tableOf(model);
      const dbCols = columns.filter((c) => c.table_name === table);
      const scalarFields = model.fields.filter((f) => f.kind === "scalar" || f.kind === "enum");
      for (const f of scalarFields) {
        const col = dbCols.find((c) => c.column_name === columnOf(f));
        if (!col) {
          problems.push(`${table}.${columnOf(f)}: in Prisma, not in the database`);
          continue;
        }
        const actual = col.data_type === "USER-DEFINED" ? `USER-DEFINED:${col.udt_name}` : col.data_type;
        if (!expectedType(f).includes(actual))
          problems.push(`${table}.${col.column_name}: Prisma ${f.type} vs database ${actual}`);
        const nullable = col.is_nullable === "YES";
        if (nullable === f.isRequired)
          problems.push(`${table}.${col.column_name}: nullability differs (Prisma required=${f.isRequired})`);
      }
      for (const c of dbCols) {
        if (!scalarFields.some((f) => columnOf(f) === c.column_name))
          problems.push(`${table}.${c.column_name}: in the database, not in Prisma`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("enums have the same values", async () => {
    for (const e of dmmf.datamodel.enums) {
      const rows = (
        await owner().query(
          `SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = $1 ORDER BY e.enumsortorder`,
          [e.dbName ?? e.name],
        )
      ).rows.map((r) => r.enumlabel as string);
      expect(rows, e.name).toEqual(e.values.map((v) => v.dbName ?? v.name));
    }
  });

  it("primary keys and unique constraints match", async () => {
    const idx = (
      await owner().query(`
        SELECT c.relname AS table, x.indisprimary AS primary,
               array(SELECT a.attname::text FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.ord) AS cols
        FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid
        WHERE x.indisunique AND c.relnamespace = 'public'::regnamespace
          -- Partial unique indexes (e.g. one active policy per organization) have no
          -- Prisma equivalent; they live in SQL only.
          AND x.indpred IS NULL`)
    ).rows as { table: string; primary: boolean; cols: string[] }[];
    const problems: string[] = [];
    for (const model of dmmf.datamodel.models) {
      const table = tableOf(model);
      const field = (name: string) => columnOf(model.fields.find((f) => f.name === name)!);
      const pk = model.primaryKey
        ? model.primaryKey.fields.map(field)
        : model.fields.filter((f) => f.isId).map(columnOf);
      const uniques = [
        ...model.uniqueFields.map((u) => u.map(field)),
        ...model.fields.filter((f) => f.isUnique).map((f) => [columnOf(f)]),
      ].map((u) => u.join(","));
      const dbPk = idx.find((i) => i.table === table && i.primary)?.cols.join(",");
      if (dbPk !== pk.join(",")) problems.push(`${table}: primary key Prisma(${pk}) vs database(${dbPk})`);
      const dbUniques = idx.filter((i) => i.table === table && !i.primary).map((i) => i.cols.join(","));
      for (const u of uniques)
        if (!dbUniques.includes(u)) problems.push(`${table}: unique (${u}) missing in the database`);
      for (const u of dbUniques) if (!uniques.includes(u)) problems.push(`${table}: unique (${u}) missing in Prisma`);
    }
    expect(problems).toEqual([]);
  });
});
