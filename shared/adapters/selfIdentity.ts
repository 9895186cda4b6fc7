import { type TokenCredential } from '@azure/identity';
import { decodeJwt } from 'jose';

/**
 * The rotator's own service principal object id: the `oid` claim of the Graph token it already uses. Works the
 * same for a managed identity and a client secret, with no extra permission and no setting to keep in sync.
 * The token comes straight from Entra over TLS to us, so reading its claims without verifying is sound here.
 */
export function selfObjectId(credential: TokenCredential): () => Promise<string> {
    let cached: Promise<string> | undefined;
    return () => {
        cached ??= (async () => {
            const token = await credential.getToken('https://graph.microsoft.com/.default');
            const oid = token ? decodeJwt(token.token).oid : undefined;
            if (typeof oid !== 'string' || oid === '') throw new Error('the rotator token carries no oid claim');
            return oid;
        })().catch((error: unknown) => {
            cached = undefined;
            throw error;
        });
        return cached;
    };
}
