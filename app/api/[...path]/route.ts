import { randomUUID } from "node:crypto";
import { AppError } from "@/lib/errors";
import { problemResponse } from "@/lib/http/problem";

/** Unknown API paths answer problem+json, not an HTML page. */
function notFound() {
  return problemResponse(new AppError("not_found", "No such API endpoint"), randomUUID());
}

export { notFound as GET, notFound as POST, notFound as PUT, notFound as PATCH, notFound as DELETE };
