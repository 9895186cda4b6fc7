import { type Client } from '@microsoft/microsoft-graph-client';

import { type KeyUse, type SignInRead } from '../domain/evidence';
import { type CollectedSignIn } from '../domain/signInCollection';
import { type SignInFeedPort, type SignInQuery, type SignInReaderPort } from '../rotation/ports';
import { ErrorCodes } from '../errors/errorCodes';
import { isRotatorError, RotatorError } from '../errors/RotatorError';
import { fromUpstreamError } from './upstreamError';

interface SignInRecord {
    id?: string;
    appId?: string;
    createdDateTime?: string;
    correlationId?: string | null;
    servicePrincipalCredentialKeyId?: string | null;
    status?: { errorCode?: number | null } | null;
}

interface SignInPage {
    value?: SignInRecord[];
    '@odata.nextLink'?: string;
}

/**
 * A guard against a server that never stops paging, not a cap on what we read: at 1,000 records a page this is
 * ten million sign-ins. Reaching it makes the read incomplete (an error), never a partial answer.
 */
const PAGE_GUARD = 10_000;

/**
 * Successful service-principal sign-ins of one app, from the beta sign-in log (the credential fields are beta
 * only, and service-principal sign-ins appear only with an explicit event-type filter).
 *
 * The server-side filter uses only terms the signIn resource documents as filterable (`appId` eq,
 * `status/errorCode` eq, `createdDateTime` ge, `signInEventTypes` any/eq), so failed sign-ins, which anyone who
 * knows a client id can produce by the thousand, never reach us. `servicePrincipalCredentialKeyId` is not
 * documented as filterable, so the key is matched here. Every page is read; anything short of the last page
 * throws.
 */
export class GraphSignIns implements SignInReaderPort, SignInFeedPort {
    constructor(private readonly client: Client) {}

    /**
     * The shared collector's one query: the tenant's successful service-principal sign-ins since `since`, every
     * page (same documented filter terms as below, without `appId`). An entry without id, app or time is kept
     * out; anything short of the last page throws.
     */
    async successfulSince(
        since: string,
        onPage?: (pages: number) => Promise<void>,
    ): Promise<{ entries: CollectedSignIn[]; pages: number }> {
        const filter =
            `signInEventTypes/any(t: t eq 'servicePrincipal') and status/errorCode eq 0` +
            ` and createdDateTime ge ${new Date(since).toISOString()}`;
        const entries: CollectedSignIn[] = [];
        const pages = await this.readAll(filter, (record) => {
            if (record.status?.errorCode !== 0 || !record.id || !record.appId || !record.createdDateTime) return;
            entries.push({
                id: record.id,
                at: new Date(record.createdDateTime).toISOString(),
                appId: record.appId,
                keyId: record.servicePrincipalCredentialKeyId?.toLowerCase() ?? null,
                correlationId: record.correlationId?.toLowerCase() ?? null,
            });
        }, onPage);
        return { entries, pages };
    }

    /** Reads every page of one filtered query; returns the number of pages. */
    private async readAll(
        filter: string,
        each: (record: SignInRecord) => void,
        onPage?: (pages: number) => Promise<void>,
    ): Promise<number> {
        let pages = 0;
        try {
            let page = (await this.client
                .api('/auditLogs/signIns')
                .version('beta')
                .filter(filter)
                .top(1000)
                .get()) as SignInPage;
            const seenLinks = new Set<string>();
            for (;;) {
                pages += 1;
                if (!Array.isArray(page.value)) throw incomplete('a sign-in log page had no value array');
                for (const record of page.value) each(record);
                const next = page['@odata.nextLink'];
                if (next && onPage) await onPage(pages);
                if (!next) break;
                if (seenLinks.has(next) || pages >= PAGE_GUARD) throw incomplete('the sign-in log kept paging');
                seenLinks.add(next);
                page = (await this.client.api(next).get()) as SignInPage;
            }
        } catch (error) {
            if (isRotatorError(error)) throw error;
            throw fromUpstreamError('graph', 'read sign-in logs', error);
        }
        return pages;
    }

    async successfulSignIns(query: SignInQuery): Promise<Extract<SignInRead, { complete: true }>> {
        const { appId, keys } = query;
        const sinceMs = keys.map((k) => Date.parse(k.since));
        const earliest = new Date(Math.min(...sinceMs)).toISOString();
        const filter =
            `signInEventTypes/any(t: t eq 'servicePrincipal') and appId eq '${appId.replace(/'/g, "''")}'` +
            ` and status/errorCode eq 0 and createdDateTime ge ${earliest}`;
        const wanted = keys.map((k) => k.keyId.toLowerCase());
        const own = new Set(query.ownCorrelationIds.map((c) => c.toLowerCase()));
        const uses = keys.map((k): { -readonly [K in keyof KeyUse]: KeyUse[K] } => ({
            keyId: k.keyId,
            count: 0,
            first: null,
            last: null,
        }));
        const ownSeen: { correlationId: string; keyId: string; at: string }[] = [];
        const pages = await this.readAll(filter, (record) => {
            // Belt and braces: only successes count, whatever the server did with the filter.
            if (record.status?.errorCode !== 0) return;
            const at = record.createdDateTime;
            const keyId = record.servicePrincipalCredentialKeyId?.toLowerCase() ?? '';
            if (!at || !keyId) return;
            const correlation = record.correlationId?.toLowerCase();
            if (correlation && own.has(correlation)) {
                ownSeen.push({ correlationId: correlation, keyId, at });
                return;
            }
            const index = wanted.indexOf(keyId);
            const entry = uses[index];
            // Each key counts only from its own `since`; the query starts at the earliest of them.
            if (!entry || Date.parse(at) < (sinceMs[index] ?? 0)) return;
            entry.count += 1;
            if (!entry.last || at > entry.last) entry.last = at;
            if (!entry.first || at < entry.first) entry.first = at;
        });
        return { complete: true, keys: uses, own: ownSeen, pages };
    }
}

function incomplete(message: string): RotatorError {
    return new RotatorError('upstream', ErrorCodes.unavailable, `read sign-in logs: ${message}`, { retryable: true });
}
