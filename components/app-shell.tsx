import Link from "next/link";
import type { ReactNode } from "react";
import { InboxBell } from "./alerts/inbox-bell";
import { LiveCountsProvider } from "./alerts/live-counts";
import { NavLinks, type NavItem } from "./nav-links";
import { OrgSwitcher } from "./org-switcher";
import { SignOutButton } from "./sign-out-button";

export function AppShell({
  org,
  orgs,
  nav,
  user,
  roleLabel,
  children,
}: {
  org: { slug: string; name: string };
  orgs: { slug: string; name: string }[];
  nav: NavItem[];
  user: { email: string; name: string };
  roleLabel: string;
  children: ReactNode;
}) {
  return (
    <LiveCountsProvider org={org.slug}>
      <div className="flex min-h-screen">
        <aside className="hidden w-60 shrink-0 flex-col border-r border-slate-200 bg-white md:flex print:hidden">
          <div className="flex h-14 items-center gap-2 border-b border-slate-200 px-4">
            <Link href={`/${org.slug}`} className="flex items-center gap-2 font-semibold">
              <span className="flex h-7 w-7 items-center justify-center rounded-md bg-slate-900 text-sm text-white">
                W
              </span>
              Warden
            </Link>
          </div>
          <div className="p-3">
            <OrgSwitcher current={org.slug} orgs={orgs} />
          </div>
          <NavLinks items={nav} />
        </aside>
        <div className="flex min-w-0 flex-1 flex-col">
          <header className="flex h-14 items-center justify-between gap-4 border-b border-slate-200 bg-white px-4 md:px-8 print:hidden">
            <div className="flex items-center gap-3 md:hidden">
              <OrgSwitcher current={org.slug} orgs={orgs} />
            </div>
            <div className="hidden text-sm text-slate-500 md:block">{org.name}</div>
            <div className="flex items-center gap-3 text-sm">
              <InboxBell org={org.slug} />
              <span className="text-slate-600" data-testid="current-user">
                <Link href="/account" className="underline-offset-2 hover:underline" data-testid="account-link">
                  {user.name || user.email}
                </Link>{" "}
                · <span data-testid="current-role">{roleLabel}</span>
              </span>
              <SignOutButton />
            </div>
          </header>
          <nav className="border-b border-slate-200 bg-white px-2 md:hidden print:hidden">
            <NavLinks items={nav} horizontal />
          </nav>
          <main className="mx-auto w-full max-w-6xl flex-1 px-4 py-8 md:px-8">{children}</main>
        </div>
      </div>
    </LiveCountsProvider>
  );
}
