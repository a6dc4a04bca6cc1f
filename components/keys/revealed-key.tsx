"use client";

import { useState } from "react";
import { Button, inputClass } from "../ui";

/** The full key, shown exactly once after creation or rotation. */
export function RevealedKey({ name, token, onDone }: { name: string; token: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="rounded-lg border border-emerald-300 bg-emerald-50 p-4" data-testid="revealed-key">
      <p className="text-sm font-medium text-emerald-900">
        Copy the key for “{name}” now. Warden stores only a hash of it: it will not be shown again.
      </p>
      <div className="mt-3 flex gap-2">
        <input
          readOnly
          value={token}
          aria-label="New API key"
          className={`${inputClass} font-mono`}
          onFocus={(e) => e.currentTarget.select()}
        />
        <Button
          variant="secondary"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(token);
              setCopied(true);
            } catch {
              setCopied(false);
            }
          }}
        >
          {copied ? "Copied" : "Copy"}
        </Button>
        <Button variant="ghost" onClick={onDone}>
          Done
        </Button>
      </div>
    </div>
  );
}
