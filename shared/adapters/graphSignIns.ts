import { type Client } from '@microsoft/microsoft-graph-client';

import { type SignInReaderPort, type SignInUsage } from '../rotation/ports';
import { fromUpstreamError } from './upstreamError';

interface SignInRecord {
    createdDateTime?: string;
    servicePrincipalCredentialKeyId?: string | null;
}

interface SignInPage {
    value?: SignInRecord[];
    '@odata.nextLink'?: string;
}

/** Bound on pages read per check: a busy app has many sign-ins, but we only need to know "any with this key". */
const MAX_PAGES = 20;

/**
 * Service-principal sign-ins by credential keyId, from the beta sign-in log (the credential fields are beta
 * only, and service-principal sign-ins appear only with an explicit event-type filter).
 */
export class GraphSignIns implements SignInReaderPort {
    constructor(private readonly client: Client) {}

    async signInsWithKey(appId: string, keyId: string, since: string): Promise<SignInUsage> {
        const filter =
            `signInEventTypes/any(t: t eq 'servicePrincipal') and appId eq '${appId.replace(/'/g, "''")}'` +
            ` and createdDateTime ge ${new Date(since).toISOString()}`;
        let count = 0;
        let lastSeen: string | undefined;
        try {
            let page = (await this.client
                .api('/auditLogs/signIns')
                .version('beta')
                .filter(filter)
                .top(1000)
                .get()) as SignInPage;
            for (let pages = 1; ; pages++) {
                for (const record of page.value ?? []) {
                    if (record.servicePrincipalCredentialKeyId?.toLowerCase() !== keyId.toLowerCase()) continue;
                    count += 1;
                    if (record.createdDateTime && (!lastSeen || record.createdDateTime > lastSeen))
                        lastSeen = record.createdDateTime;
                }
                const next = page['@odata.nextLink'];
                if (!next || pages >= MAX_PAGES) break;
                page = (await this.client.api(next).get()) as SignInPage;
            }
        } catch (error) {
            throw fromUpstreamError('graph', 'read sign-in logs', error);
        }
        return { count, lastSeen };
    }
}
