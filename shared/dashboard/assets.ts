import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { DASHBOARD_LOGIC_JS } from './clientLogic';
import { DASHBOARD_APP_JS } from './clientUi';
import { DASHBOARD_HTML } from './page';
import { DASHBOARD_CSS } from './styles';

export interface DashboardResponse {
    readonly status: number;
    readonly headers: Readonly<Record<string, string>>;
    readonly body: string;
}

/** How the page signs in: an Entra app registration with a single-page-app redirect URI to the page. */
export interface DashboardSignIn {
    readonly clientId: string;
    readonly tenantId: string;
    /** e.g. https://login.microsoftonline.com, or the emulator's origin in the sandbox. */
    readonly authorityHost: string;
    /** The operator API's delegated scope, e.g. api://entra-credential-rotator/user_impersonation. */
    readonly scope: string;
}

/** The delegated scope the dashboard asks for: the operator API's `user_impersonation`. */
export function dashboardScope(operatorApiAudience: string): string {
    return `${operatorApiAudience.replace(/\/+$/, '')}/user_impersonation`;
}

/**
 * Same-origin scripts and styles only, no inline code, no framing, no referrer (the page URL briefly holds the
 * authorization response), and network calls only to this origin and, when sign-in is configured, to the Entra
 * authority (MSAL's discovery and token requests).
 */
export function dashboardSecurityHeaders(signIn?: DashboardSignIn): Readonly<Record<string, string>> {
    const authority = signIn ? ` ${new URL(signIn.authorityHost).origin}` : '';
    return {
        'content-security-policy':
            `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'${authority}; img-src 'self'; ` +
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
        'cache-control': 'no-store',
    };
}

const FAVICON =
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#24292f"/>' +
    '<path d="M4 8a4 4 0 0 1 7-2.6M12 8a4 4 0 0 1-7 2.6" stroke="#fff" stroke-width="1.6" fill="none"/></svg>';

let msalBundle: string | undefined;
/** msal-browser's own browser bundle, served from this app so the policy can stay 'self' for scripts. */
function msalBrowserBundle(): string {
    msalBundle ??= readFileSync(
        join(dirname(require.resolve('@azure/msal-browser/package.json')), 'lib', 'msal-browser.min.js'),
        'utf8',
    );
    return msalBundle;
}

const JS = 'text/javascript; charset=utf-8';
const ASSETS: Readonly<Record<string, { readonly type: string; readonly body: () => string }>> = {
    'app.js': { type: JS, body: () => DASHBOARD_APP_JS },
    'logic.js': { type: JS, body: () => DASHBOARD_LOGIC_JS },
    'msal-browser.min.js': { type: JS, body: msalBrowserBundle },
    'app.css': { type: 'text/css; charset=utf-8', body: () => DASHBOARD_CSS },
    'favicon.svg': { type: 'image/svg+xml', body: () => FAVICON },
};

/**
 * GET <prefix>/dashboard[/<asset>]. `path` is the request's URL path; a trailing slash is redirected away so the
 * page's relative asset URLs resolve next to it. `config.json` tells the page how to sign in (nothing secret:
 * a public client id, the authority and the scope).
 */
export function dashboardResponse(
    asset: string | undefined,
    path: string,
    signIn?: DashboardSignIn,
): DashboardResponse {
    const headers = dashboardSecurityHeaders(signIn);
    if (asset === undefined || asset === '') {
        if (path.endsWith('/')) {
            const target = path.replace(/\/+$/, '');
            return { status: 301, headers: { ...headers, location: target }, body: '' };
        }
        return {
            status: 200,
            headers: { ...headers, 'content-type': 'text/html; charset=utf-8' },
            body: DASHBOARD_HTML,
        };
    }
    if (asset === 'config.json') {
        const host = signIn ? new URL(signIn.authorityHost) : undefined;
        const body = {
            signIn:
                signIn && host
                    ? {
                          clientId: signIn.clientId,
                          authority: `${host.origin}/${signIn.tenantId}`,
                          knownAuthority: host.host,
                          scopes: [signIn.scope],
                      }
                    : null,
        };
        return {
            status: 200,
            headers: { ...headers, 'content-type': 'application/json; charset=utf-8' },
            body: JSON.stringify(body),
        };
    }
    const found = Object.prototype.hasOwnProperty.call(ASSETS, asset) ? ASSETS[asset] : undefined;
    if (!found) {
        return { status: 404, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body: 'not found' };
    }
    return { status: 200, headers: { ...headers, 'content-type': found.type }, body: found.body() };
}
