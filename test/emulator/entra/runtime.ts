import { type AccessTokenClaims } from '../core/contract';
import { type VirtualClock } from '../core/clock';
import { type DelayDraws, type DelaySpec, delaySeconds, SeededStream } from '../core/delays';
import { newGuid } from '../core/ids';
import { Directory, normalizeUri } from './directory';
import { type ApplicationRecord, type ServicePrincipalRecord, type UserRecord } from './model';
import { SignInLog } from './signIns';
import { type SigningKey } from './signing';
import { type Bootstrap, seedInitialTenant } from './tenant';
import { STORAGE_APP_ID } from './wellKnown';

/** Knobs that change tenant behaviour (set through `/_emulator/faults`); all off by default. */
export interface TenantSettings {
    /** A new password/key credential fails with AADSTS7000215/700027 for this long after creation (§1.11). */
    propagationDelaySeconds: DelaySpec;
    /** Sign-in log entries become visible this long after the sign-in (§1.8). */
    signInIngestionLatencySeconds: DelaySpec;
    /**
     * Graph read-after-write lag: for this long after creation an application is 404 and a new password is
     * invisible to GET and to removePassword ("No password credential found with keyId", §1.11).
     */
    graphReplicationLagSeconds: DelaySpec;
    /** Seed of the streams the three delays above draw from when they are distributions (core/delays.ts). */
    delaySeed: number;
    /** App-management policy: max password lifetime in seconds (`undefined` = no policy). */
    maxPasswordLifetimeSeconds: number | undefined;
    /**
     * Which clock access tokens live on. SDK token caches count `expires_in` on the wall clock, so after the
     * virtual clock jumps days ahead they still present tokens the virtual clock calls expired. With `wall` (for
     * sandboxes and end-to-end runs that move the clock) tokens are minted (`iat`/`nbf`/`exp`) and checked on the
     * wall clock, as every SDK and resource server expects; `virtual` (the default) uses the emulator clock.
     */
    tokenLifetimeClock: 'virtual' | 'wall';
    /**
     * The directory object size limit, as a credential count: an application already holding this many password
     * and key credentials refuses `addPassword`/`addKey` with `Directory_ResourceSizeExceeded`. The real limit is
     * a byte size, so the count it allows depends on the credentials; 100 is an [ASSUMED] order of magnitude.
     */
    applicationCredentialLimit: number;
}

export const defaultTenantSettings = (): TenantSettings => ({
    propagationDelaySeconds: 0,
    signInIngestionLatencySeconds: 0,
    graphReplicationLagSeconds: 0,
    delaySeed: 0,
    maxPasswordLifetimeSeconds: undefined,
    tokenLifetimeClock: 'virtual',
    applicationCredentialLimit: 100,
});

export type TokenGrant = 'client_credentials' | 'managed_identity';

/** Client-credentials access token lifetime the real STS usually grants (`expires_in: 3599`, §2.2). */
export const TOKEN_LIFETIME_SECONDS = 3599;

/** Everything Entra and Graph share: the directory, the sign-in log, the signing key and the clock. */
export class TenantRuntime {
    readonly directory = new Directory();
    readonly signIns = new SignInLog();
    settings: TenantSettings = defaultTenantSettings();
    origin = 'https://localhost';
    /** A stable id for the app-management policy named in CredentialInvalidLifetimeAsPerAppPolicy messages. */
    readonly policyId = newGuid();
    /** Which grant issued each app token (by `uti`), so tests can tell managed identity tokens apart. */
    private readonly grantOf = new Map<string, TokenGrant>();
    /** Seeded streams of uniform draws (directory writes and sign-ins apart, so one cannot shift the other). */
    private streams: { seed: number; writes: SeededStream; signIns: SeededStream } | undefined;
    /**
     * App tokens resource servers accepted, per calling app id, audience and grant:
     * `{ "<appId>": { "https://vault.azure.net": { managed_identity: 12 } } }`.
     */
    readonly tokenUse: Record<string, Record<string, Partial<Record<TokenGrant, number>>>> = {};

    constructor(
        readonly bootstrap: Bootstrap,
        readonly signingKey: SigningKey,
        readonly clock: VirtualClock,
    ) {
        seedInitialTenant(this.directory, bootstrap);
    }

    get tenantId(): string {
        return this.bootstrap.tenantId;
    }

    /** v1 issuer on the emulator origin (the analogue of `https://sts.windows.net/{tid}/`). */
    get issuerV1(): string {
        return `${this.origin}/${this.tenantId}/`;
    }

    get issuerV2(): string {
        return `${this.origin}/${this.tenantId}/v2.0`;
    }

    /** The draws a new credential or application keeps for its propagation and replication delays. */
    drawDelays(): DelayDraws {
        const { writes } = this.stream();
        return { propagation: writes.next(), replication: writes.next() };
    }

    /** How long after `createdAtMs` an object works / shows in Graph reads, in ms. */
    propagationDelayMs(draws: DelayDraws | undefined): number {
        return delaySeconds(this.settings.propagationDelaySeconds, draws?.propagation) * 1000;
    }

    replicationLagMs(draws: DelayDraws | undefined): number {
        return delaySeconds(this.settings.graphReplicationLagSeconds, draws?.replication) * 1000;
    }

    /** The ingestion latency of a sign-in happening now, in seconds. */
    drawIngestionLatencySeconds(): number {
        return delaySeconds(this.settings.signInIngestionLatencySeconds, this.stream().signIns.next());
    }

    restartDelayStreams(): void {
        this.streams = undefined;
    }

    private stream(): { seed: number; writes: SeededStream; signIns: SeededStream } {
        const seed = this.settings.delaySeed;
        if (this.streams?.seed !== seed) {
            this.streams = { seed, writes: new SeededStream(seed), signIns: new SeededStream(seed ^ 0x5bd1e995) };
        }
        return this.streams;
    }

    reset(): void {
        seedInitialTenant(this.directory, this.bootstrap);
        this.streams = undefined;
        this.signIns.clear();
        this.settings = defaultTenantSettings();
        this.grantOf.clear();
        for (const appId of Object.keys(this.tokenUse)) delete this.tokenUse[appId];
    }

    issueAccessToken(
        app: ApplicationRecord,
        caller: ServicePrincipalRecord,
        resource: ServicePrincipalRecord,
        requestedResource: string,
        authMethod: 'secret' | 'certificate' | 'managedIdentity',
    ): string {
        const uti = newGuid().replace(/-/g, '');
        this.grantOf.set(uti, authMethod === 'managedIdentity' ? 'managed_identity' : 'client_credentials');
        const now = this.tokenClockSeconds();
        const roles = this.directory.rolesOn(caller.id, resource);
        const v2 = this.issuesV2Tokens(resource);
        const common = {
            iat: now,
            nbf: now,
            exp: now + TOKEN_LIFETIME_SECONDS,
            appid: app.appId,
            idtyp: 'app',
            oid: caller.id,
            sub: caller.id,
            tid: this.tenantId,
            uti,
            ...(roles.length > 0 ? { roles } : {}),
        };
        if (v2) {
            const acr = authMethod === 'secret' ? '1' : '2';
            return this.signingKey.sign({
                ...common,
                aud: resource.appId,
                iss: this.issuerV2,
                azp: app.appId,
                azpacr: acr,
                ver: '2.0',
            });
        }
        // Storage tokens carry Entra's real v1 issuer: the storage emulator (Azurite, basic OAuth) accepts only the
        // public clouds' issuer prefixes and checks no signature, and nothing else verifies these tokens.
        const issuer = resource.appId === STORAGE_APP_ID ? `https://sts.windows.net/${this.tenantId}/` : this.issuerV1;
        return this.signingKey.sign({
            ...common,
            aud: requestedResource,
            iss: issuer,
            idp: issuer,
            appidacr: authMethod === 'secret' ? '1' : '2',
            ver: '1.0',
        });
    }

    /**
     * A delegated access token for a signed-in user (authorization code or refresh token grant): `scp` carries
     * the delegated scopes, `roles` the app roles assigned to the user on the resource; v1 or v2 as the resource
     * app asks (`api.requestedAccessTokenVersion`), like the client-credentials tokens above.
     */
    /** The resource's app registration asks for v2 access tokens (`api.requestedAccessTokenVersion` 2). */
    private issuesV2Tokens(resource: ServicePrincipalRecord): boolean {
        const resourceApp = this.directory.applicationByAppId(resource.appId);
        const api = resourceApp?.extra['api'] as { requestedAccessTokenVersion?: number } | undefined;
        return api?.requestedAccessTokenVersion === 2;
    }

    issueUserAccessToken(
        client: ApplicationRecord,
        user: UserRecord,
        resource: ServicePrincipalRecord,
        requestedResource: string,
        scopes: readonly string[],
        now: number,
    ): string {
        const roles = this.directory.rolesOn(user.id, resource);
        const v2 = this.issuesV2Tokens(resource);
        const common = {
            iat: now,
            nbf: now,
            exp: now + TOKEN_LIFETIME_SECONDS,
            name: user.displayName,
            oid: user.id,
            sub: user.id.replace(/-/g, '').slice(0, 22) + client.appId.replace(/-/g, '').slice(0, 21),
            tid: this.tenantId,
            uti: newGuid().replace(/-/g, ''),
            scp: scopes.join(' '),
            ...(roles.length > 0 ? { roles } : {}),
        };
        if (v2) {
            return this.signingKey.sign({
                ...common,
                aud: resource.appId,
                iss: this.issuerV2,
                azp: client.appId,
                azpacr: '0',
                preferred_username: user.userPrincipalName,
                ver: '2.0',
            });
        }
        return this.signingKey.sign({
            ...common,
            aud: requestedResource,
            iss: this.issuerV1,
            appid: client.appId,
            appidacr: '0',
            amr: ['pwd'],
            upn: user.userPrincipalName,
            unique_name: user.userPrincipalName,
            ver: '1.0',
        });
    }

    /** `context.verifyAccessToken`: signature, issuer, expiry on the emulator clock, optional audience. */
    verifyAccessToken(authorization: string | undefined, audience?: string): AccessTokenClaims | undefined {
        const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '');
        if (!match?.[1]) return undefined;
        const token = match[1];
        const nowSeconds = this.tokenClockSeconds();
        const claims = this.signingKey.verify(token, nowSeconds, [this.issuerV1, this.issuerV2]);
        if (!claims || claims.tid !== this.tenantId) return undefined;
        if (audience !== undefined && !this.sameResource(claims.aud, audience)) return undefined;
        const uti = (claims as { uti?: string }).uti;
        const grant = uti === undefined ? undefined : this.grantOf.get(uti);
        if (grant) {
            const use = ((this.tokenUse[claims.appid] ??= {})[normalizeUri(claims.aud)] ??= {});
            use[grant] = (use[grant] ?? 0) + 1;
        }
        return claims;
    }

    /** The clock access tokens are minted and checked on (see `tokenLifetimeClock`). */
    tokenClockSeconds(): number {
        const ms = this.settings.tokenLifetimeClock === 'wall' ? Date.now() : this.clock.now().getTime();
        return Math.floor(ms / 1000);
    }

    private sameResource(aud: string, audience: string): boolean {
        if (normalizeUri(aud) === normalizeUri(audience)) return true;
        const a = this.directory.resourceByIdentifier(aud);
        const b = this.directory.resourceByIdentifier(audience);
        return a !== undefined && a.id === b?.id;
    }
}
