import type { HTMLAttributes, ReactNode } from "react";
import { cx } from "./ui";

export type Column<T> = {
  /** The column heading; on phones it labels each cell (use `label` when the heading is not text). */
  header: ReactNode;
  label?: string;
  cell: (row: T, index: number) => ReactNode;
  /** Classes for both the heading and the cells of this column. */
  className?: string;
  align?: "left" | "right";
};

type RowAttributes = HTMLAttributes<HTMLTableRowElement> & { "data-testid"?: string };

/**
 * The one data table. From the `sm` breakpoint up it is a table (scrolling
 * inside its box when wider than it); on a phone every row becomes a stacked
 * block of "label: value" lines, so no page scrolls sideways at 390 px.
 * A server component: cells may render client components.
 */
export function Table<T>({
  rows,
  columns,
  rowKey,
  rowProps,
  label,
  testId,
  empty,
  dense = false,
  className,
}: {
  rows: readonly T[];
  columns: readonly (Column<T> | false | null | undefined)[];
  rowKey: (row: T, index: number) => string | number;
  rowProps?: (row: T, index: number) => RowAttributes;
  /** The table's accessible name. */
  label?: string;
  testId?: string;
  /** Shown instead of the table when there are no rows. */
  empty?: ReactNode;
  dense?: boolean;
  className?: string;
}) {
  const cols = columns.filter((c): c is Column<T> => Boolean(c));
  if (rows.length === 0 && empty !== undefined) {
    return <div className="text-sm text-slate-600">{empty}</div>;
  }
  const pad = dense ? "py-1 sm:pr-3" : "py-2 sm:pr-4";
  return (
    <div className={cx("sm:overflow-x-auto", className)}>
      <table
        aria-label={label}
        data-testid={testId}
        className={cx("w-full text-left max-sm:block", dense ? "text-xs" : "text-sm")}
      >
        <thead className="text-xs text-slate-500 uppercase max-sm:hidden">
          <tr>
            {cols.map((c, i) => (
              <th
                key={i}
                scope="col"
                className={cx(pad, "font-medium", c.align === "right" && "text-right", c.className)}
              >
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 max-sm:block">
          {rows.map((row, ri) => {
            const { className: rowClass, ...attrs } = rowProps?.(row, ri) ?? {};
            return (
              <tr key={rowKey(row, ri)} {...attrs} className={cx("align-top max-sm:block max-sm:py-2", rowClass)}>
                {cols.map((c, ci) => (
                  <td
                    key={ci}
                    className={cx(
                      pad,
                      "max-sm:grid max-sm:grid-cols-[7rem_minmax(0,1fr)] max-sm:gap-2 max-sm:py-1",
                      c.align === "right" && "sm:text-right",
                      c.className,
                    )}
                  >
                    <span className="text-xs font-medium text-slate-500 sm:hidden">
                      {c.label ?? (typeof c.header === "string" ? c.header : "")}
                    </span>
                    <div className="min-w-0 break-words">{c.cell(row, ri)}</div>
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
