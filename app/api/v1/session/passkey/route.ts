import { beginPasskeySignIn } from "@/lib/auth/second-factor";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/**
 * A challenge for passkey-first (usernameless) sign-in. The browser's
 * assertion then goes to next-auth's "passkey" credentials provider.
 */
export const POST = route({ public: true }, async () => ({ status: 201, body: await beginPasskeySignIn() }));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
