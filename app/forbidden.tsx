import Link from "next/link";

export default function Forbidden() {
  return (
    <main className="flex min-h-[60vh] flex-col items-center justify-center px-4 text-center">
      <p className="text-sm font-semibold text-slate-500">403</p>
      <h1 className="mt-2 text-2xl font-semibold">You do not have access to this page</h1>
      <p className="mt-2 text-sm text-slate-600">
        Your role in this organization does not include it. Ask an admin if you need it.
      </p>
      <Link href="/" className="mt-6 text-sm font-medium underline">
        Back to Warden
      </Link>
    </main>
  );
}
