"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { ApiError, describeError, describeErrorForForm, fieldErrorsOf } from "./api-client";

/** Which problem fields a form shows next to a control: a pattern over the path, or a test. */
export type FieldMatcher = RegExp | ((path: string) => boolean);

export type RunOptions = {
  /** Field errors matching this are shown next to their fields; the summary points at them. */
  fields?: FieldMatcher;
  /** Rewrites a field's message in plain words and the field's own units. */
  explain?: (path: string, message: string) => string;
  /** Refresh the server components after success (default: the hook's setting). */
  refresh?: boolean;
};

function matches(m: FieldMatcher, path: string): boolean {
  return typeof m === "function" ? m(path) : m.test(path);
}

/**
 * A refusal found before calling the API, in the API's own shape, so a form's
 * own checks and the server's end up in the same places.
 */
export function invalid(fields: Record<string, string>, detail = "Some fields need attention."): ApiError {
  return new ApiError({
    status: 422,
    title: "Validation failed",
    detail,
    code: "validation_failed",
    errors: Object.entries(fields).map(([path, message]) => ({ path, message })),
  });
}

/**
 * The state every form and button keeps around its API calls: which call is
 * running (to disable and relabel buttons), the last error (a summary, plus
 * per-field messages for the fields the form shows), and the last notice.
 * After a success the server components are refreshed so the page shows real
 * state.
 */
export function useMutation({ refresh = true }: { refresh?: boolean } = {}) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});

  /** Runs `fn` as the call named `key`; resolves to its result, or undefined when it failed. */
  async function run<T>(key: string, fn: () => Promise<T>, opts: RunOptions = {}): Promise<T | undefined> {
    setBusy(key);
    setError(null);
    setNotice(null);
    setFieldErrors({});
    try {
      const result = await fn();
      if (opts.refresh ?? refresh) router.refresh();
      return result;
    } catch (e) {
      const shown = opts.fields;
      if (shown) {
        const all = fieldErrorsOf(e);
        const mine: Record<string, string> = {};
        for (const [path, message] of Object.entries(all)) {
          if (matches(shown, path)) mine[path] = opts.explain ? opts.explain(path, message) : message;
        }
        setFieldErrors(mine);
        setError(describeErrorForForm(e, (path) => matches(shown, path)));
      } else {
        setError(describeError(e));
      }
      return undefined;
    } finally {
      setBusy(null);
    }
  }

  /** Clears one field's error (after the person edits it). */
  function clearField(path: string) {
    setFieldErrors((cur) => {
      if (!(path in cur)) return cur;
      const next = { ...cur };
      delete next[path];
      return next;
    });
  }

  return {
    error,
    notice,
    busy,
    pending: busy !== null,
    fieldErrors,
    run,
    setNotice,
    setError,
    clearField,
  };
}
