import type { Metadata } from "next";
import document from "@/docs/openapi.json" with { type: "json" };
import { ApiReference, type OpenApiDocument } from "@/components/docs/api-reference";

export const metadata: Metadata = { title: "API reference · Warden" };

/** The API reference: public, like the document it renders (GET /api/v1/openapi.json). */
export default function ApiReferencePage() {
  return <ApiReference doc={document as unknown as OpenApiDocument} />;
}
