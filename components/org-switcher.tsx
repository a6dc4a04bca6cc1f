"use client";

import { useRouter } from "next/navigation";

export function OrgSwitcher({ current, orgs }: { current: string; orgs: { slug: string; name: string }[] }) {
  const router = useRouter();
  if (orgs.length <= 1) {
    return <div className="truncate rounded-md px-2 py-1.5 text-sm font-medium text-slate-900">{orgs[0]?.name}</div>;
  }
  return (
    <label className="block">
      <span className="sr-only">Organization</span>
      <select
        aria-label="Organization"
        value={current}
        onChange={(e) => router.push(`/${e.target.value}`)}
        className="block w-full rounded-md border-0 py-1.5 pl-2 pr-8 text-sm font-medium ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-slate-900"
      >
        {orgs.map((o) => (
          <option key={o.slug} value={o.slug}>
            {o.name}
          </option>
        ))}
      </select>
    </label>
  );
}
