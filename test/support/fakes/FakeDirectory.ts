import { fingerprintOf } from '../../../shared/security/fingerprint';
import {
    type AppCredentialsPort,
    type AppOwnershipPort,
    type ApplicationInfo,
    type NewPassword,
    type PasswordCredentialInfo,
} from '../../../shared/rotation/ports';
import { Secret } from '../../../shared/security/Secret';
import { FailureSwitch, lifetimePolicyViolation, settle, unavailable } from './failures';
import { fakeGuid } from './ids';

export type DirectoryMethod = 'getApplicationByAppId' | 'addPassword' | 'removePassword';

export interface DirectoryCall {
    readonly method: DirectoryMethod;
    readonly appId?: string;
    readonly appObjectId?: string;
    readonly keyId?: string;
    readonly request?: NewPassword;
    readonly result?: string;
}

interface StoredCredential {
    readonly info: PasswordCredentialInfo;
    readonly secret: Secret;
    /** Clock ms when addPassword created it (undefined when seeded): replication lag counts from here. */
    readonly createdAtMs?: number;
}

interface StoredApp {
    readonly objectId: string;
    readonly appId: string;
    readonly displayName: string | null;
    credentials: StoredCredential[];
    ownedByRotator: boolean;
    servicePrincipal: boolean;
}

/** The rotator's own service principal object id in this fake directory. */
export const ROTATOR_OBJECT_ID = 'rotator-sp-object-id';

const MS_PER_DAY = 86_400_000;

/**
 * In-memory Entra app registrations with password credentials. Secret values are canaries
 * (`CANARY~<seed>~<n>~…`) so a leak sweep can search for every value this directory ever issued.
 */
export class FakeDirectory implements AppCredentialsPort, AppOwnershipPort {
    readonly calls: DirectoryCall[] = [];
    readonly failures = new FailureSwitch<DirectoryMethod>();
    /** Tenant app-management policy: addPassword rejects longer lifetimes, as Graph does (400). */
    maxLifetimeDays: number | undefined;
    readonly #apps = new Map<string, StoredApp>();
    readonly #issued: string[] = [];
    readonly #seed: number;
    #next = 0;
    #loseResponses = 0;
    #lag: { seconds: number; now: () => Date } | undefined;

    constructor(seed = 1) {
        this.#seed = seed;
    }

    addApp(app: { appId: string; objectId: string; displayName?: string | null }): void {
        this.#apps.set(app.appId, {
            appId: app.appId,
            objectId: app.objectId,
            displayName: app.displayName ?? null,
            credentials: [],
            ownedByRotator: true,
            servicePrincipal: true,
        });
    }

    /** Ownership as Graph's owners relationship would list it; apps start owned by the rotator. */
    setOwnedByRotator(appId: string, owned: boolean): void {
        this.#app(appId).ownedByRotator = owned;
    }

    /** Whether the app has a service principal in the tenant; apps start with one. */
    setServicePrincipal(appId: string, present: boolean): void {
        this.#app(appId).servicePrincipal = present;
    }

    ownedByRotator(appObjectId: string, expandedOwnerIds?: readonly string[]): Promise<boolean> {
        if (expandedOwnerIds) return Promise.resolve(expandedOwnerIds.includes(ROTATOR_OBJECT_ID));
        return settle(() => this.#appByObjectId(appObjectId).ownedByRotator);
    }

    hasServicePrincipal(appId: string): Promise<boolean> {
        return settle(() => this.#apps.get(appId)?.servicePrincipal === true);
    }

    /** Adds a credential directly (an existing one, or one left behind by a crash); returns its value. */
    seedCredential(
        appId: string,
        options: { displayName?: string | null; startDateTime?: string; endDateTime?: string } = {},
    ): { keyId: string; secret: Secret } {
        const app = this.#app(appId);
        const stored = this.#mint({
            displayName: options.displayName ?? null,
            startDateTime: options.startDateTime ?? '2026-01-01T00:00:00.000Z',
            endDateTime: options.endDateTime ?? '2027-01-01T00:00:00.000Z',
        });
        app.credentials.push(stored);
        return { keyId: stored.info.keyId, secret: stored.secret };
    }

    /**
     * Graph's read-after-write lag (api-fidelity §1.11), by the clock: for `seconds` after addPassword created a
     * credential, GET does not list it and removePassword answers "not found" (and removes nothing).
     */
    replicationLag(seconds: number, now: () => Date): void {
        this.#lag = { seconds, now };
    }

    #replicated(credential: StoredCredential): boolean {
        if (!this.#lag || credential.createdAtMs === undefined) return true;
        return this.#lag.now().getTime() - credential.createdAtMs >= this.#lag.seconds * 1000;
    }

    /** The next addPassword creates the credential and then throws 503: the response was lost. */
    loseNextAddPasswordResponse(): void {
        this.#loseResponses += 1;
    }

    credentialsOf(appId: string): PasswordCredentialInfo[] {
        return this.#app(appId).credentials.map((c) => ({ ...c.info }));
    }

    /** The keyId whose value is `secret`, when the app holds one (what Entra checks on a token request). */
    keyIdFor(appId: string, secret: Secret): string | undefined {
        return this.#apps.get(appId)?.credentials.find((c) => c.secret.equals(secret))?.info.keyId;
    }

    /** The keyId whose value has this fingerprint (what a consumer holding that value would sign in with). */
    keyIdForFingerprint(appId: string, fingerprint: string): string | undefined {
        return this.#apps.get(appId)?.credentials.find((c) => fingerprintOf(c.secret) === fingerprint)?.info.keyId;
    }

    /** Every secret text this directory ever issued, for leak sweeps. */
    issuedSecretTexts(): readonly string[] {
        return [...this.#issued];
    }

    getApplicationByAppId(appId: string, options: { withOwners?: boolean } = {}): Promise<ApplicationInfo | undefined> {
        this.calls.push({ method: 'getApplicationByAppId', appId });
        return settle(() => {
            this.failures.check('getApplicationByAppId');
            const app = this.#apps.get(appId);
            if (!app) return undefined;
            return {
                objectId: app.objectId,
                appId: app.appId,
                displayName: app.displayName,
                passwordCredentials: app.credentials.filter((c) => this.#replicated(c)).map((c) => ({ ...c.info })),
                ...(options.withOwners
                    ? { ownerIds: app.ownedByRotator ? ['operator-user', ROTATOR_OBJECT_ID] : ['operator-user'] }
                    : {}),
            };
        });
    }

    addPassword(
        appObjectId: string,
        request: NewPassword,
    ): Promise<{ credential: PasswordCredentialInfo; secret: Secret }> {
        this.calls.push({ method: 'addPassword', appObjectId, request: { ...request } });
        return settle(() => {
            this.failures.check('addPassword');
            const app = this.#appByObjectId(appObjectId);
            const days = (Date.parse(request.endDateTime) - Date.parse(request.startDateTime)) / MS_PER_DAY;
            if (this.maxLifetimeDays !== undefined && days > this.maxLifetimeDays) {
                throw lifetimePolicyViolation(this.maxLifetimeDays);
            }
            const stored = { ...this.#mint(request), createdAtMs: this.#lag?.now().getTime() };
            app.credentials.push(stored);
            if (this.#loseResponses > 0) {
                this.#loseResponses -= 1;
                throw unavailable('the response to addPassword was lost');
            }
            return { credential: { ...stored.info }, secret: stored.secret };
        });
    }

    /** Graph read-after-write lag: the next `count` removePassword calls answer "not found" and remove nothing. */
    lagRemovals(count: number): void {
        this.#laggingRemovals += count;
    }

    #laggingRemovals = 0;

    removePassword(appObjectId: string, keyId: string): Promise<'removed' | 'notFound'> {
        return settle(() => {
            try {
                this.failures.check('removePassword');
                if (this.#laggingRemovals > 0) {
                    this.#laggingRemovals -= 1;
                    this.calls.push({ method: 'removePassword', appObjectId, keyId, result: 'notFound' });
                    return 'notFound';
                }
                const app = this.#appByObjectId(appObjectId);
                const before = app.credentials.length;
                app.credentials = app.credentials.filter((c) => c.info.keyId !== keyId || !this.#replicated(c));
                const result = app.credentials.length < before ? 'removed' : 'notFound';
                this.calls.push({ method: 'removePassword', appObjectId, keyId, result });
                return result;
            } catch (error) {
                this.calls.push({ method: 'removePassword', appObjectId, keyId, result: 'threw' });
                throw error;
            }
        });
    }

    #mint(request: { displayName: string | null; startDateTime: string; endDateTime: string }): StoredCredential {
        this.#next += 1;
        const text = `CANARY~${this.#seed}~${this.#next}~q8Z7xK2pL9mN4vB6cD1fG3hJ5`;
        this.#issued.push(text);
        return {
            info: {
                keyId: fakeGuid(this.#seed, this.#next),
                displayName: request.displayName,
                hint: text.slice(0, 3),
                startDateTime: request.startDateTime,
                endDateTime: request.endDateTime,
            },
            secret: new Secret(text),
        };
    }

    #app(appId: string): StoredApp {
        const app = this.#apps.get(appId);
        if (!app) throw new Error(`FakeDirectory: no app ${appId}`);
        return app;
    }

    #appByObjectId(objectId: string): StoredApp {
        const app = [...this.#apps.values()].find((a) => a.objectId === objectId);
        // Graph answers 404 for an unknown object id; the adapter maps it to not_found.
        if (!app) throw new Error(`not_found: application object ${objectId} does not exist`);
        return app;
    }
}
