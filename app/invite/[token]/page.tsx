import type { Metadata } from "next";
import Link from "next/link";
import { AcceptInviteForm } from "@/components/accept-invite-form";
import { RespondInvite } from "@/components/respond-invite";
import { currentUser } from "@/lib/http/page";
import { getInvitation } from "@/lib/members/invitations";

export const metadata: Metadata = { title: "Join organization", referrer: "no-referrer" };

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const invitation = await getInvitation(token);
  const user = invitation && !invitation.needs_password ? await currentUser() : null;
  const signedInAsInvitee = user !== null && user.email === invitation?.email;
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm">
        {invitation ? (
          <>
            <div className="mb-6 text-center">
              <h1 className="text-xl font-semibold">Join {invitation.org_name}</h1>
              <p className="mt-1 text-sm text-slate-600">
                {invitation.needs_password
                  ? `Set up your Warden account for ${invitation.email}.`
                  : `You were invited as ${invitation.email}. Nothing changes for your account until you accept.`}
              </p>
            </div>
            {invitation.needs_password ? (
              <AcceptInviteForm token={token} email={invitation.email} orgSlug={invitation.org_slug} />
            ) : signedInAsInvitee ? (
              <RespondInvite token={token} orgSlug={invitation.org_slug} orgName={invitation.org_name} />
            ) : (
              <div className="rounded-lg border border-slate-200 bg-white p-6 text-center shadow-sm">
                <p className="text-sm text-slate-600">
                  {user ? `You are signed in as ${user.email}. ` : ""}Sign in as {invitation.email} to accept or
                  decline.
                </p>
                <Link
                  href={`/login?next=${encodeURIComponent(`/invite/${token}`)}`}
                  className="mt-4 inline-block text-sm font-medium text-slate-900 underline"
                >
                  Sign in
                </Link>
              </div>
            )}
          </>
        ) : (
          <div className="rounded-lg border border-slate-200 bg-white p-6 text-center shadow-sm">
            <h1 className="text-lg font-semibold">This link does not work</h1>
            <p className="mt-2 text-sm text-slate-600">
              It may have been used already, replaced by a newer link, or expired. Ask an admin of the organization for
              a new one.
            </p>
            <Link href="/login" className="mt-4 inline-block text-sm font-medium text-slate-900 underline">
              Go to sign-in
            </Link>
          </div>
        )}
      </div>
    </main>
  );
}
