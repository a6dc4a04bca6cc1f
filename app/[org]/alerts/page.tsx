import { AlertsWorkbench, type AlertsTab } from "@/components/alerts/alerts-workbench";
import { PageHeader, TabLinks } from "@/components/ui";
import { listChannels, listDeliveries } from "@/lib/alerts/channels";
import { listFirings, listSilences } from "@/lib/alerts/history";
import { listRules } from "@/lib/alerts/rules";
import { ALERT_TEMPLATES } from "@/lib/alerts/templates";
import { can } from "@/lib/rbac/context";
import { requireOrgPage } from "@/lib/http/page";

export const metadata = { title: "Alerts · Warden" };

const TABS: { id: AlertsTab; label: string }[] = [
  { id: "rules", label: "Rules" },
  { id: "history", label: "History" },
  { id: "silences", label: "Silences" },
  { id: "channels", label: "Channels" },
  { id: "deliveries", label: "Delivery log" },
];

export default async function AlertsPage({
  params,
  searchParams,
}: {
  params: Promise<{ org: string }>;
  searchParams: Promise<{ tab?: string }>;
}) {
  const { org } = await params;
  const ctx = await requireOrgPage(org, "alerts:read");
  const requested = (await searchParams).tab;
  const tab: AlertsTab = TABS.some((t) => t.id === requested) ? (requested as AlertsTab) : "rules";
  const [rules, firings, silences, channels, deliveries] = await Promise.all([
    listRules(ctx),
    listFirings(ctx, { limit: 100 }),
    listSilences(ctx),
    listChannels(ctx),
    listDeliveries(ctx),
  ]);
  return (
    <>
      <PageHeader
        title="Alerts"
        description="Rules over the organization's audit trail: what to watch for, and what happens when it happens."
      />
      <TabLinks
        label="Alert sections"
        items={TABS.map((t) => ({ href: `/${ctx.org.slug}/alerts?tab=${t.id}`, label: t.label, active: t.id === tab }))}
      />
      <AlertsWorkbench
        org={ctx.org.slug}
        tab={tab}
        canWrite={can(ctx, "alerts:write")}
        rules={rules}
        templates={ALERT_TEMPLATES.map((t) => ({ id: t.id, name: t.name, description: t.description, spec: t.spec }))}
        firings={firings}
        silences={silences}
        channels={channels}
        deliveries={deliveries}
      />
    </>
  );
}
