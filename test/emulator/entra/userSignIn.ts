import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { type EmuRequest, type EmuResponse } from '../core/contract';
import { deterministicGuid } from './wellKnown';
import { type ApplicationRecord, type ServicePrincipalRecord, type UserRecord } from './model';
import { type TenantRuntime } from './runtime';
import { type StsErrorSpec } from './stsErrors';

/**
 * Interactive sign-in for single-page apps, the way Entra does it for a redirect URI of type "spa"
 * (authorization code + PKCE, as @azure/msal-browser drives it):
 *
 * - `GET /{tenant}/oauth2/v2.0/authorize` shows a sign-in page for the tenant's users (the sandbox has one
 *   operator user: no password, one click); errors about the client or the redirect URI are shown on the page and
 *   never redirected (an unregistered redirect URI must not receive anything). `prompt=none` answers
 *   `login_required` (there is no browser session to reuse).
 * - `POST` of that page issues a one-time code (10 minutes) bound to client, redirect URI, scopes, PKCE challenge
 *   and nonce, and redirects with `code`, `state`, `client_info` and `session_state` in the fragment (MSAL's
 *   default `response_mode=fragment`) or the query.
 * - The token endpoint redeems it (`grant_type=authorization_code` with `code_verifier`) and refresh tokens
 *   (`grant_type=refresh_token`), only as cross-origin requests for SPA redirect URIs (AADSTS9002327 otherwise),
 *   answering with CORS headers for them; a cross-origin redemption for a non-SPA redirect URI is AADSTS9002326
 *   and gets no CORS headers, so the browser blocks it like Entra's.
 */

/** Authorization codes live about ten minutes. */
const CODE_LIFETIME_MS = 10 * 60_000;
/** SPA refresh tokens have a fixed 24-hour lifetime. */
const SPA_REFRESH_LIFETIME_SECONDS = 24 * 3600;
const USER_TOKEN_LIFETIME_SECONDS = 3599;
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

interface PendingCode {
    readonly clientId: string;
    readonly redirectUri: string;
    readonly scopes: string[];
    readonly challenge: string;
    readonly challengeMethod: string;
    readonly nonce: string | undefined;
    readonly userId: string;
    readonly expiresAt: number;
    used: boolean;
}

const ERR = {
    redirectMismatch: (uri: string, appId: string): StsErrorSpec => ({
        code: 50011,
        error: 'invalid_request',
        status: 400,
        description: `The redirect URI '${uri}' specified in the request does not match the redirect URIs configured for the application '${appId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
    }),
    pkceRequired: (): StsErrorSpec => ({
        code: 9002325,
        error: 'invalid_request',
        status: 400,
        description: 'Proof Key for Code Exchange is required for cross-origin authorization code redemption.',
    }),
    spaNeedsCors: (): StsErrorSpec => ({
        code: 9002327,
        error: 'invalid_request',
        status: 400,
        description:
            "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.",
    }),
    corsOnlyForSpa: (): StsErrorSpec => ({
        code: 9002326,
        error: 'invalid_request',
        status: 400,
        description: "Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type.",
    }),
    codeRedeemed: (): StsErrorSpec => ({
        code: 54005,
        error: 'invalid_grant',
        status: 400,
        description:
            'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
    }),
    codeExpired: (): StsErrorSpec => ({
        code: 70008,
        error: 'invalid_grant',
        status: 400,
        description:
            'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
    }),
    codeInvalid: (): StsErrorSpec => ({
        code: 9002313,
        error: 'invalid_grant',
        status: 400,
        description: 'Invalid request. Request is malformed or invalid.',
    }),
    verifierMismatch: (): StsErrorSpec => ({
        code: 501481,
        error: 'invalid_grant',
        status: 400,
        description: 'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
    }),
    scopeMissing: (scope: string, resource: string): StsErrorSpec => ({
        code: 650053,
        error: 'invalid_scope',
        status: 400,
        description: `The application asked for scope '${scope}' that doesn't exist on the resource '${resource}'. Contact the app vendor.`,
    }),
};

export { ERR as USER_SIGN_IN_ERRORS };

/** What the token endpoint needs to answer a user grant. */
export type UserGrantResult =
    | { ok: true; body: Record<string, unknown>; corsOrigin: string | undefined }
    | { ok: false; error: StsErrorSpec; corsOrigin: string | undefined };

export class UserSignIn {
    readonly #codes = new Map<string, PendingCode>();

    constructor(private readonly runtime: TenantRuntime) {}

    /** GET and POST `/{tenant}/oauth2/v2.0/authorize`. */
    authorize(request: EmuRequest): EmuResponse {
        const params =
            request.method === 'POST'
                ? new URLSearchParams(request.body.toString('utf8'))
                : new URLSearchParams(request.url.search);
        const clientId = params.get('client_id') ?? '';
        const redirectUri = params.get('redirect_uri') ?? '';
        const app = this.runtime.directory.applicationByAppId(clientId);
        if (!app || !this.runtime.directory.servicePrincipalByAppId(clientId)) {
            return errorPage(`AADSTS700016: Application with identifier '${clientId}' was not found in the directory.`);
        }
        const kind = redirectKind(app, redirectUri);
        if (!kind)
            return errorPage(
                `AADSTS${ERR.redirectMismatch(redirectUri, clientId).code}: ${ERR.redirectMismatch(redirectUri, clientId).description}`,
            );
        const responseMode = params.get('response_mode') ?? 'query';
        const back = (fields: Record<string, string>): EmuResponse => {
            const state = params.get('state');
            const query = new URLSearchParams({ ...fields, ...(state ? { state } : {}) }).toString();
            const target = `${redirectUri}${responseMode === 'fragment' ? '#' : redirectUri.includes('?') ? '&' : '?'}${query}`;
            return { status: 302, headers: { location: target, 'cache-control': 'no-store' }, body: '' };
        };
        const fail = (error: string, description: string): EmuResponse =>
            back({ error, error_description: description });
        if (params.get('response_type') !== 'code')
            return fail('unsupported_response_type', 'AADSTS700054: response_type must be code for this flow.');
        const challenge = params.get('code_challenge') ?? '';
        const method = params.get('code_challenge_method') ?? 'plain';
        if (kind === 'spa' && !challenge)
            return fail('invalid_request', `AADSTS9002325: ${ERR.pkceRequired().description}`);
        if (method !== 'S256' && method !== 'plain')
            return fail('invalid_request', 'AADSTS501491: Invalid code_challenge_method.');
        const scopes = (params.get('scope') ?? '').split(/\s+/).filter(Boolean);
        const scopeProblem = this.checkScopes(scopes);
        if (scopeProblem) return fail(scopeProblem.error, `AADSTS${scopeProblem.code}: ${scopeProblem.description}`);
        if (params.get('prompt') === 'none')
            return fail('login_required', 'AADSTS50058: A silent sign-in request was sent but no user is signed in.');

        const users = [...this.runtime.directory.users.values()];
        if (request.method !== 'POST' || !params.get('login_user')) return signInPage(app, users, params);
        if (params.get('login_user') === 'cancel')
            return fail('access_denied', 'AADSTS65004: User declined to consent to access the app.');
        const user = this.runtime.directory.users.get(params.get('login_user') ?? '');
        if (!user) return signInPage(app, users, params);
        const code = randomBytes(48).toString('base64url');
        this.#codes.set(code, {
            clientId: app.appId,
            redirectUri,
            scopes,
            challenge,
            challengeMethod: method,
            nonce: params.get('nonce') ?? undefined,
            userId: user.id,
            expiresAt: Date.now() + CODE_LIFETIME_MS,
            used: false,
        });
        return back({
            code,
            client_info: clientInfo(user, this.runtime.tenantId),
            session_state: deterministicGuid(user.id, 'session'),
        });
    }

    /** `grant_type=authorization_code` (public client + PKCE). */
    redeemCode(params: URLSearchParams, origin: string | undefined): UserGrantResult {
        const code = params.get('code') ?? '';
        const pending = this.#codes.get(code);
        const clientId = params.get('client_id') ?? '';
        const redirectUri = params.get('redirect_uri') ?? '';
        const app = this.runtime.directory.applicationByAppId(clientId);
        const kind = app ? redirectKind(app, redirectUri) : undefined;
        const cors = kind === 'spa' && origin ? origin : undefined;
        if (kind === 'spa' && !origin) return { ok: false, error: ERR.spaNeedsCors(), corsOrigin: undefined };
        if (kind !== 'spa' && origin) return { ok: false, error: ERR.corsOnlyForSpa(), corsOrigin: undefined };
        if (
            !pending ||
            pending.clientId.toLowerCase() !== clientId.toLowerCase() ||
            pending.redirectUri !== redirectUri
        )
            return { ok: false, error: ERR.codeInvalid(), corsOrigin: cors };
        if (pending.used) return { ok: false, error: ERR.codeRedeemed(), corsOrigin: cors };
        if (Date.now() > pending.expiresAt) return { ok: false, error: ERR.codeExpired(), corsOrigin: cors };
        pending.used = true;
        const verifier = params.get('code_verifier') ?? '';
        const expected =
            pending.challengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
        if (!pending.challenge || !safeEqual(expected, pending.challenge))
            return { ok: false, error: ERR.verifierMismatch(), corsOrigin: cors };
        const user = this.runtime.directory.users.get(pending.userId);
        if (!user || !app) return { ok: false, error: ERR.codeInvalid(), corsOrigin: cors };
        return this.issue(app, user, pending.scopes, pending.nonce, cors);
    }

    /** `grant_type=refresh_token` for SPA refresh tokens (bound to client and user; 24 h, not extended). */
    redeemRefreshToken(params: URLSearchParams, origin: string | undefined): UserGrantResult {
        const clientId = params.get('client_id') ?? '';
        const app = this.runtime.directory.applicationByAppId(clientId);
        const parsed = this.readRefreshToken(params.get('refresh_token') ?? '');
        const cors = origin && app && hasSpaRedirect(app) ? origin : undefined;
        if (!parsed || !app || parsed.cid.toLowerCase() !== clientId.toLowerCase())
            return { ok: false, error: ERR.codeInvalid(), corsOrigin: cors };
        if (!origin) return { ok: false, error: ERR.spaNeedsCors(), corsOrigin: undefined };
        if (parsed.exp * 1000 < Date.now()) return { ok: false, error: ERR.codeExpired(), corsOrigin: cors };
        const user = this.runtime.directory.users.get(parsed.uid);
        if (!user) return { ok: false, error: ERR.codeInvalid(), corsOrigin: cors };
        const scopes = (params.get('scope') ?? parsed.scp).split(/\s+/).filter(Boolean);
        return this.issue(app, user, scopes, undefined, cors, parsed.exp);
    }

    private checkScopes(scopes: readonly string[]): StsErrorSpec | undefined {
        for (const scope of scopes) {
            if (OIDC_SCOPES.has(scope.toLowerCase())) continue;
            const resolved = this.resolveScope(scope);
            if (!resolved) return ERR.scopeMissing(scope, scope.replace(/\/[^/]*$/, ''));
        }
        return undefined;
    }

    /** `api://x/user_impersonation` or `api://x/.default` → the resource and the delegated scope names. */
    private resolveScope(
        scope: string,
    ): { resource: ServicePrincipalRecord; requested: string; names: string[] } | undefined {
        const slash = scope.lastIndexOf('/');
        if (slash <= 0) return undefined;
        const requested = scope.slice(0, slash);
        const name = scope.slice(slash + 1);
        const resource = this.runtime.directory.resourceByIdentifier(requested);
        if (!resource) return undefined;
        const defined = delegatedScopes(this.runtime.directory.applicationByAppId(resource.appId));
        if (name === '.default') return { resource, requested, names: defined };
        return defined.includes(name) ? { resource, requested, names: [name] } : undefined;
    }

    private issue(
        app: ApplicationRecord,
        user: UserRecord,
        scopes: readonly string[],
        nonce: string | undefined,
        cors: string | undefined,
        refreshExp?: number,
    ): UserGrantResult {
        const now = this.runtime.tokenClockSeconds();
        const resourceScopes = scopes.filter((s) => !OIDC_SCOPES.has(s.toLowerCase()));
        const first = resourceScopes[0];
        const resolved = first ? this.resolveScope(first) : undefined;
        if (first && !resolved)
            return { ok: false, error: ERR.scopeMissing(first, first.replace(/\/[^/]*$/, '')), corsOrigin: cors };
        const resourceSp = resolved?.resource;
        const tid = this.runtime.tenantId;
        const body: Record<string, unknown> = {
            token_type: 'Bearer',
            scope: resolved ? resolved.names.map((n) => `${resolved.requested}/${n}`).join(' ') : 'openid profile',
            expires_in: USER_TOKEN_LIFETIME_SECONDS,
            ext_expires_in: USER_TOKEN_LIFETIME_SECONDS,
            client_info: clientInfo(user, tid),
        };
        if (resolved && resourceSp)
            body['access_token'] = this.runtime.issueUserAccessToken(
                app,
                user,
                resourceSp,
                resolved.requested,
                resolved.names,
                now,
            );
        if (scopes.some((s) => s.toLowerCase() === 'openid') || refreshExp === undefined) {
            body['id_token'] = this.runtime.signingKey.sign({
                ver: '2.0',
                iss: this.runtime.issuerV2,
                sub: deterministicGuid(user.id, app.appId),
                aud: app.appId,
                exp: now + USER_TOKEN_LIFETIME_SECONDS,
                iat: now,
                nbf: now,
                ...(nonce ? { nonce } : {}),
                name: user.displayName,
                preferred_username: user.userPrincipalName,
                oid: user.id,
                tid,
                uti: randomBytes(16).toString('base64url'),
            });
        }
        const exp = refreshExp ?? now + SPA_REFRESH_LIFETIME_SECONDS;
        body['refresh_token'] = this.refreshToken({ cid: app.appId, uid: user.id, scp: scopes.join(' '), exp });
        body['refresh_token_expires_in'] = Math.max(0, exp - now);
        return { ok: true, body, corsOrigin: cors };
    }

    /** Opaque to clients, like Entra's: a MAC-protected payload, so it survives an emulator restart. */
    private refreshToken(payload: { cid: string; uid: string; scp: string; exp: number }): string {
        const data = Buffer.from(JSON.stringify(payload)).toString('base64url');
        return `${data}.${this.mac(data)}`;
    }

    private readRefreshToken(token: string): { cid: string; uid: string; scp: string; exp: number } | undefined {
        const [data, mac] = token.split('.');
        if (!data || !mac || !safeEqual(mac, this.mac(data))) return undefined;
        try {
            return JSON.parse(Buffer.from(data, 'base64url').toString('utf8')) as {
                cid: string;
                uid: string;
                scp: string;
                exp: number;
            };
        } catch {
            return undefined;
        }
    }

    private mac(data: string): string {
        return createHmac('sha256', this.runtime.signingKey.macKey()).update(data).digest('base64url');
    }
}

function safeEqual(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
}

function clientInfo(user: UserRecord, tenantId: string): string {
    return Buffer.from(JSON.stringify({ uid: user.id, utid: tenantId })).toString('base64url');
}

function redirectUrisOf(app: ApplicationRecord, kind: 'spa' | 'web' | 'publicClient'): string[] {
    const section = app.extra[kind] as { redirectUris?: unknown } | undefined;
    return Array.isArray(section?.redirectUris)
        ? section.redirectUris.filter((u): u is string => typeof u === 'string')
        : [];
}

function hasSpaRedirect(app: ApplicationRecord): boolean {
    return redirectUrisOf(app, 'spa').length > 0;
}

/** Redirect URIs match exactly (Entra compares the full URI; only the query of localhost ports is lenient). */
function redirectKind(app: ApplicationRecord, uri: string): 'spa' | 'web' | 'publicClient' | undefined {
    if (!uri) return undefined;
    for (const kind of ['spa', 'web', 'publicClient'] as const) {
        if (redirectUrisOf(app, kind).includes(uri)) return kind;
    }
    return undefined;
}

function delegatedScopes(app: ApplicationRecord | undefined): string[] {
    const api = app?.extra['api'] as
        { oauth2PermissionScopes?: { value?: unknown; isEnabled?: unknown }[] } | undefined;
    return (api?.oauth2PermissionScopes ?? [])
        .filter((s) => s.isEnabled !== false && typeof s.value === 'string')
        .map((s) => s.value as string);
}

/** The sign-in page is never framed and runs no script; its form posts here and then redirects to the app. */
function pageHeaders(redirectUri?: string): Record<string, string> {
    const formAction = redirectUri ? `'self' ${new URL(redirectUri).origin}` : "'self'";
    return {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'`,
        'x-frame-options': 'DENY',
    };
}

function escapeHtml(text: string): string {
    return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function errorPage(message: string): EmuResponse {
    return {
        status: 400,
        headers: pageHeaders(),
        body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in: error</title></head><body><h1>Sorry, but we're having trouble signing you in.</h1><p id="error">${escapeHtml(message)}</p></body></html>`,
    };
}

function signInPage(app: ApplicationRecord, users: UserRecord[], params: URLSearchParams): EmuResponse {
    const hidden = [...params.entries()]
        .filter(([k]) => k !== 'login_user')
        .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
        .join('');
    const buttons = users
        .map(
            (u) =>
                `<button type="submit" name="login_user" value="${escapeHtml(u.id)}" data-upn="${escapeHtml(u.userPrincipalName)}">` +
                `${escapeHtml(u.displayName)}<br><small>${escapeHtml(u.userPrincipalName)}</small></button>`,
        )
        .join('');
    const body =
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<title>Sign in to your account</title><style>body{font-family:system-ui,sans-serif;background:#f2f2f2;margin:0}` +
        `main{background:#fff;max-width:420px;margin:3rem auto;padding:2rem;box-shadow:0 2px 6px rgba(0,0,0,.2)}` +
        `button{display:block;width:100%;text-align:left;padding:.7rem;margin:.4rem 0;font-size:1rem;cursor:pointer}` +
        `small{color:#555}.note{color:#555;font-size:.85rem}</style></head><body><main>` +
        `<h1>Pick an account</h1><p>to continue to <strong>${escapeHtml(app.displayName)}</strong></p>` +
        `<form method="post">${hidden}${buttons || '<p>No users in this tenant.</p>'}` +
        `<button type="submit" name="login_user" value="cancel">Cancel</button></form>` +
        `<p class="note">Tenant emulator: the sandbox's users sign in without a password.</p></main></body></html>`;
    return { status: 200, headers: pageHeaders(params.get('redirect_uri') ?? undefined), body };
}
