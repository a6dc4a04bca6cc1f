"use client";

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main className="flex min-h-[60vh] flex-col items-center justify-center px-4 text-center">
      <h1 className="text-2xl font-semibold">Something went wrong</h1>
      <p className="mt-2 text-sm text-slate-600">
        The page could not be loaded.{" "}
        {error.digest ? (
          <>
            Reference: <code className="font-mono">{error.digest}</code>
          </>
        ) : null}
      </p>
      <button onClick={reset} className="mt-6 rounded-md bg-slate-900 px-3 py-2 text-sm font-medium text-white">
        Try again
      </button>
    </main>
  );
}
