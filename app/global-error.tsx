"use client";

// Rendered without the app's stylesheet when the root layout itself fails.
export default function GlobalError({ error }: { error: Error & { digest?: string } }) {
  return (
    <html lang="en">
      <body>
        <main>
          <h1>Warden is unavailable</h1>
          <p>Try again in a moment.{error.digest ? ` Reference: ${error.digest}` : ""}</p>
        </main>
      </body>
    </html>
  );
}
