"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { api, describeError } from "./api-client";
import { Alert, Button } from "./ui";

/** Accept or decline an invitation as the signed-in, invited person. */
export function RespondInvite({ token, orgSlug, orgName }: { token: string; orgSlug: string; orgName: string }) {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<"accept" | "decline" | null>(null);
  const [declined, setDeclined] = useState(false);
  const router = useRouter();

  async function respond(accept: boolean) {
    setPending(accept ? "accept" : "decline");
    setError(null);
    try {
      await api(null, "/api/v1/invitations/respond", { method: "POST", body: { token, accept } });
      if (accept) router.push(`/${orgSlug}`);
      else {
        setDeclined(true);
        setPending(null);
      }
    } catch (err) {
      setError(describeError(err));
      setPending(null);
    }
  }

  if (declined) {
    return (
      <div className="rounded-lg border border-slate-200 bg-white p-6 text-center shadow-sm" role="status">
        You declined the invitation to {orgName}.
      </div>
    );
  }
  return (
    <div className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      {error && <Alert>{error}</Alert>}
      <div className="flex gap-3">
        <Button type="button" className="flex-1" disabled={pending !== null} onClick={() => void respond(true)}>
          {pending === "accept" ? "Joining…" : "Accept and join"}
        </Button>
        <Button
          type="button"
          variant="secondary"
          className="flex-1"
          disabled={pending !== null}
          onClick={() => void respond(false)}
        >
          {pending === "decline" ? "Declining…" : "Decline"}
        </Button>
      </div>
    </div>
  );
}
