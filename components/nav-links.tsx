"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useLiveCounts } from "./alerts/live-counts";
import { cx } from "./ui";

export type NavItem = { href: string; label: string };

export function NavLinks({ items, horizontal = false }: { items: NavItem[]; horizontal?: boolean }) {
  const pathname = usePathname();
  const { pending_approvals: pending } = useLiveCounts();
  // The first item is the organization's overview, a prefix of every other path.
  const root = items[0]?.href;
  return (
    <ul className={cx(horizontal ? "flex gap-1 overflow-x-auto py-2" : "space-y-1 px-3")} aria-label="Main">
      {items.map((item) => {
        const active = pathname === item.href || (item.href !== root && pathname.startsWith(`${item.href}/`));
        return (
          <li key={item.href}>
            <Link
              href={item.href}
              aria-current={active ? "page" : undefined}
              className={cx(
                "block rounded-md px-3 py-2 text-sm font-medium",
                active ? "bg-slate-100 text-slate-900" : "text-slate-600 hover:bg-slate-50 hover:text-slate-900",
              )}
            >
              {item.label}
              {item.href.endsWith("/approvals") && pending !== null && pending > 0 && (
                <span
                  data-testid="nav-pending-approvals"
                  className="ml-2 rounded-full bg-amber-100 px-1.5 text-xs font-semibold text-amber-800"
                >
                  {pending}
                  <span className="sr-only"> pending</span>
                </span>
              )}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}
