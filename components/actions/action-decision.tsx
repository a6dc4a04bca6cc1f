"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { DecisionForm } from "../approvals/decision-form";
import { Alert } from "../ui";

/** The approve / reject controls on an action's page; the page re-renders with the outcome. */
export function ActionDecision({
  org,
  approvalId,
  payloadHash,
  subject,
}: {
  org: string;
  approvalId: string;
  payloadHash: string;
  subject: string;
}) {
  const router = useRouter();
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <div className="space-y-3">
      {notice && (
        <Alert tone="green" role="status">
          {notice}
        </Alert>
      )}
      <DecisionForm
        org={org}
        approvalId={approvalId}
        payloadHash={payloadHash}
        subject={subject}
        onDecided={(message) => {
          setNotice(message);
          router.refresh();
        }}
      />
    </div>
  );
}
