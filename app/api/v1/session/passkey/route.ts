import { beginPasskeySignIn } from "@/lib/auth/second-factor";
import { route } from "@/lib/http/route";

/**
 * A challenge for passkey-first (usernameless) sign-in. The browser's
 * assertion then goes to next-auth's "passkey" credentials provider.
 */
export const POST = route({ public: true }, async () => ({ status: 201, body: await beginPasskeySignIn() }));
