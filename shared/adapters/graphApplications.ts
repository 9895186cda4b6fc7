import { type Client, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';

import { Secret } from '../security/Secret';
import {
    type AppCredentialsPort,
    type AppOwnershipPort,
    type ApplicationInfo,
    type NewPassword,
    type PasswordCredentialInfo,
} from '../rotation/ports';
import { fromUpstreamError, statusOf } from './upstreamError';

interface GraphPasswordCredential {
    keyId?: string;
    displayName?: string | null;
    hint?: string | null;
    startDateTime?: string | null;
    endDateTime?: string | null;
    secretText?: string | null;
}

interface GraphApplication {
    id: string;
    appId: string;
    displayName?: string | null;
    passwordCredentials?: GraphPasswordCredential[];
    owners?: { id?: string }[];
}

const SELECT = 'id,appId,displayName,passwordCredentials';
const NO_RETRY = [new RetryHandlerOptions(0, 0)];
/**
 * Graph returns at most 20 objects for an expanded directory-object relationship (Graph known issues, "$expand on
 * directory objects"); a list that long may be cut, so ownership is then read from the owners collection itself.
 */
export const EXPANDED_OWNERS_CAP = 20;

/** Application password credentials through Microsoft Graph v1.0. */
export class GraphApplications implements AppCredentialsPort, AppOwnershipPort {
    /** `selfObjectId`: the rotator's service principal object id (the `oid` of its own Graph token). */
    constructor(
        private readonly client: Client,
        private readonly selfObjectId: () => Promise<string> = () =>
            Promise.reject(new Error('the rotator identity is unknown')),
    ) {}

    /** Reads the application's owners (paged); OwnedBy can read them, and only owned apps are writable. */
    async ownedByRotator(appObjectId: string, expandedOwnerIds?: readonly string[]): Promise<boolean> {
        const self = (await this.selfObjectId()).toLowerCase();
        if (expandedOwnerIds) {
            if (expandedOwnerIds.some((id) => id.toLowerCase() === self)) return true;
            if (expandedOwnerIds.length < EXPANDED_OWNERS_CAP) return false;
        }
        try {
            let page = (await this.client
                .api(`/applications/${encodeURIComponent(appObjectId)}/owners`)
                .select('id')
                .top(999)
                .get()) as { value?: { id?: string }[]; '@odata.nextLink'?: string };
            for (;;) {
                if ((page.value ?? []).some((o) => o.id?.toLowerCase() === self)) return true;
                const next = page['@odata.nextLink'];
                if (!next) return false;
                page = (await this.client.api(next).get()) as typeof page;
            }
        } catch (error) {
            if (statusOf(error) === 404) return false;
            throw fromUpstreamError('graph', 'list application owners', error);
        }
    }

    /** Succeeds (true) or answers false on 404 only; any other failure throws, so "cannot tell" is never "absent". */
    async hasServicePrincipal(appId: string): Promise<boolean> {
        try {
            await this.client
                .api(`/servicePrincipals(appId='${encodeURIComponent(appId)}')`)
                .select('id')
                .get();
            return true;
        } catch (error) {
            if (statusOf(error) === 404) return false;
            throw fromUpstreamError('graph', 'get service principal', error);
        }
    }

    async getApplicationByAppId(
        appId: string,
        options: { withOwners?: boolean } = {},
    ): Promise<ApplicationInfo | undefined> {
        try {
            let request = this.client.api(`/applications(appId='${encodeURIComponent(appId)}')`).select(SELECT);
            if (options.withOwners) request = request.expand('owners($select=id)');
            const app = (await request.get()) as GraphApplication;
            return toApplicationInfo(app);
        } catch (error) {
            // 404: no such app. With Application.ReadWrite.OwnedBy, an app we do not own is also invisible.
            if (statusOf(error) === 404) return undefined;
            throw fromUpstreamError('graph', 'get application', error);
        }
    }

    async addPassword(
        appObjectId: string,
        request: NewPassword,
    ): Promise<{ credential: PasswordCredentialInfo; secret: Secret }> {
        let created: GraphPasswordCredential;
        try {
            // Never retried here: addPassword is not idempotent; the activity retries after an orphan check.
            // A 429 is the exception that is safe to wait out: "the requests fail" when throttled (Graph throttling
            // guidance, learn.microsoft.com/graph/throttling), so nothing was created; the orchestrator waits for
            // the quota on a durable timer and the retry still runs the orphan check first.
            created = (await this.client
                .api(`/applications/${encodeURIComponent(appObjectId)}/addPassword`)
                .middlewareOptions(NO_RETRY)
                .post({ passwordCredential: request })) as GraphPasswordCredential;
        } catch (error) {
            throw fromUpstreamError('graph', 'addPassword', error);
        }
        if (!created.keyId || !created.secretText) {
            throw fromUpstreamError('graph', 'addPassword', { statusCode: 502, code: 'MissingSecretText' });
        }
        return { credential: toPasswordInfo(created), secret: new Secret(created.secretText) };
    }

    async removePassword(appObjectId: string, keyId: string): Promise<'removed' | 'notFound'> {
        try {
            await this.client.api(`/applications/${encodeURIComponent(appObjectId)}/removePassword`).post({ keyId });
            return 'removed';
        } catch (error) {
            // Graph answers an unknown keyId with 400/404 "No password credential found with keyId …".
            const status = statusOf(error);
            if (status === 404 || (status === 400 && /No password credential found/i.test(messageOf(error))))
                return 'notFound';
            throw fromUpstreamError('graph', 'removePassword', error);
        }
    }
}

function toApplicationInfo(app: GraphApplication): ApplicationInfo {
    return {
        objectId: app.id,
        appId: app.appId,
        displayName: app.displayName ?? null,
        passwordCredentials: (app.passwordCredentials ?? [])
            .filter((c) => typeof c.keyId === 'string')
            .map(toPasswordInfo),
        ...(app.owners ? { ownerIds: app.owners.flatMap((o) => (typeof o.id === 'string' ? [o.id] : [])) } : {}),
    };
}

function toPasswordInfo(c: GraphPasswordCredential): PasswordCredentialInfo {
    return {
        keyId: c.keyId ?? '',
        displayName: c.displayName ?? null,
        hint: c.hint ?? null,
        startDateTime: c.startDateTime ?? null,
        endDateTime: c.endDateTime ?? null,
    };
}

function messageOf(error: unknown): string {
    return error instanceof Error ? error.message : '';
}
