/**
 * The seam between the emulator's core (HTTPS server, clock, tokens, faults, persistence, control API) and
 * each emulated service. Every service is a `ServiceModule`; the core routes a request to the first module
 * whose `matches` accepts it, after applying that service's injected faults.
 */

/** A parsed HTTP request. `path` has no query string; `query` holds it. Header names are lower-case. */
export interface EmuRequest {
    readonly method: string;
    readonly path: string;
    readonly query: URLSearchParams;
    readonly headers: Readonly<Record<string, string | undefined>>;
    readonly body: Buffer;
    /** The request's full URL on the emulator origin. */
    readonly url: URL;
}

export interface EmuResponse {
    readonly status: number;
    readonly headers?: Readonly<Record<string, string>>;
    /** Objects are sent as JSON (`application/json; charset=utf-8` unless a content-type header is given). */
    readonly body?: unknown;
}

export type ServiceName = 'entra' | 'graph' | 'keyVault' | 'eventGrid' | 'resourceManager';

/** Claims of an access token the emulator issued, after signature, issuer and expiry checks. */
export interface AccessTokenClaims {
    readonly aud: string;
    readonly iss: string;
    readonly tid: string;
    /** Calling application's client id. */
    readonly appid: string;
    /** Calling service principal's object id. */
    readonly oid: string;
    readonly roles: readonly string[];
    readonly exp: number;
    readonly iat: number;
}

export interface EmulatorClock {
    now(): Date;
    /** Called after every clock advance with the old and new instants (for time-driven events). */
    onAdvance(listener: (from: Date, to: Date) => void | Promise<void>): void;
}

export interface EmulatorContext {
    /** `https://localhost:PORT`, the origin of every service. */
    readonly origin: string;
    readonly tenantId: string;
    readonly clock: EmulatorClock;
    /**
     * Verifies an `Authorization` header value ("Bearer …") against the emulator's signing key, issuer,
     * expiry (on the emulator clock) and, when given, the expected audience. `undefined` when invalid.
     */
    verifyAccessToken(authorization: string | undefined, audience?: string): AccessTokenClaims | undefined;
    /** The bootstrap `admin` principal (for granting it roles in each service on reset). */
    readonly admin: { readonly clientId: string; readonly servicePrincipalId: string };
    /** Ask the core to persist state soon (after a mutation). */
    markDirty(): void;
}

export interface ServiceModule {
    readonly name: ServiceName;
    matches(request: EmuRequest): boolean;
    handle(request: EmuRequest, context: EmulatorContext): Promise<EmuResponse>;
    /**
     * Control routes under `/_emulator/<name>/…` (e.g. `/_emulator/keyVault/roleAssignments`). `subPath` is
     * what follows `/_emulator/<name>`. Return `undefined` for unknown routes (the core answers 404).
     */
    control?(subPath: string, request: EmuRequest, context: EmulatorContext): Promise<EmuResponse | undefined>;
    /**
     * Optional: the service's own error body for failures the core produces (injected 429/5xx, oversized or
     * unreadable bodies). Without it the core answers `{"error":{"code","message"}}`.
     */
    formatError?(status: number, code: string, message: string, request: EmuRequest): EmuResponse;
    /** Metadata for `GET /_emulator/state`: never secret text. */
    stateView(): unknown;
    /** Persistable state (may include secret material, like the real service's storage). */
    snapshot(): unknown;
    restore(data: unknown, context: EmulatorContext): void;
    /** Back to the empty initial state, with bootstrap grants re-applied. */
    reset(context: EmulatorContext): void;
}
