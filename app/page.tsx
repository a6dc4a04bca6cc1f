import Link from "next/link";
import { redirect } from "next/navigation";
import { SignOutButton } from "@/components/sign-out-button";
import { ROLE_LABEL } from "@/lib/rbac/permissions";
import { currentMemberships, requireUser } from "@/lib/http/page";

export default async function Home() {
  const user = await requireUser("/");
  const memberships = await currentMemberships(user.userId);
  if (memberships.length === 1) redirect(`/${memberships[0]!.org.slug}`);

  return (
    <main className="mx-auto max-w-lg px-4 py-16">
      <div className="mb-6 flex items-center justify-between">
        <h1 className="text-xl font-semibold">Choose an organization</h1>
        <SignOutButton />
      </div>
      {memberships.length === 0 ? (
        <p className="rounded-lg border border-slate-200 bg-white p-6 text-sm text-slate-600">
          You are signed in as {user.email} but are not a member of any organization yet. Ask an admin to add you.
        </p>
      ) : (
        <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
          {memberships.map((m) => (
            <li key={m.org.id}>
              <Link href={`/${m.org.slug}`} className="flex items-center justify-between px-5 py-4 hover:bg-slate-50">
                <span className="font-medium">{m.org.name}</span>
                <span className="text-sm text-slate-500">{ROLE_LABEL[m.role]}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
