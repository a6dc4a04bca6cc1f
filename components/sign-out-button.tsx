"use client";

import { useState } from "react";
import { api } from "./api-client";
import { Button } from "./ui";

/** Revokes the server-side session (and clears the cookie), then leaves. */
export function SignOutButton() {
  const [pending, setPending] = useState(false);
  return (
    <Button
      variant="ghost"
      disabled={pending}
      onClick={async () => {
        setPending(true);
        try {
          await api(null, "/api/v1/session", { method: "DELETE" });
        } finally {
          // A full page load, so no client-side cache of the signed-in app survives.
          // eslint-disable-next-line @next/next/no-location-assign-relative-destination
          window.location.assign("/login");
        }
      }}
    >
      {pending ? "Signing out…" : "Sign out"}
    </Button>
  );
}
