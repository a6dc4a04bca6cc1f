import { randomUUID } from "node:crypto";
import { AppError } from "@/lib/errors";
import { problemResponse } from "@/lib/http/problem";

/** Unknown API paths answer problem+json, not an HTML page, whatever the method (server.mjs turns TRACE and the like into OPTIONS). */
function notFound() {
  return problemResponse(new AppError("not_found", "No such API endpoint"), randomUUID());
}

export {
  notFound as GET,
  notFound as HEAD,
  notFound as POST,
  notFound as PUT,
  notFound as PATCH,
  notFound as DELETE,
  notFound as OPTIONS,
};
