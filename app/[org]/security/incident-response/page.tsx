import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Metadata } from "next";
import Link from "next/link";
import { MarkdownText } from "@/components/security/markdown-text";
import { Alert, PageHeader } from "@/components/ui";
import { requireOrgPage } from "@/lib/http/page";

export const metadata: Metadata = { title: "Incident response" };

/** docs/INCIDENT-RESPONSE.md, the one copy of the runbook, shown in the dashboard. */
export default async function IncidentResponsePage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  const ctx = await requireOrgPage(org, "security:read");
  const text = await readFile(path.join(process.cwd(), "docs", "INCIDENT-RESPONSE.md"), "utf8").catch(() => null);
  return (
    <>
      <PageHeader
        title="Incident response"
        actions={
          <Link href={`/${ctx.org.slug}/security`} className="text-sm underline underline-offset-2">
            Back to Security
          </Link>
        }
      />
      {text === null ? (
        <Alert tone="amber">
          The runbook is docs/INCIDENT-RESPONSE.md in the Warden repository; this installation does not ship it.
        </Alert>
      ) : (
        <MarkdownText source={text} />
      )}
    </>
  );
}
