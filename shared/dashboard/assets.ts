import { DASHBOARD_LOGIC_JS } from './clientLogic';
import { DASHBOARD_APP_JS } from './clientUi';
import { DASHBOARD_HTML } from './page';
import { DASHBOARD_CSS } from './styles';

export interface DashboardResponse {
    readonly status: number;
    readonly headers: Readonly<Record<string, string>>;
    readonly body: string;
}

/**
 * Same-origin scripts and styles only, no inline code, no framing, no referrer (the page URL may briefly hold a
 * token fragment), and API calls only to this origin.
 */
export const DASHBOARD_SECURITY_HEADERS: Readonly<Record<string, string>> = {
    'content-security-policy':
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
};

const ASSETS: Readonly<Record<string, { readonly type: string; readonly body: string }>> = {
    'app.js': { type: 'text/javascript; charset=utf-8', body: DASHBOARD_APP_JS },
    'logic.js': { type: 'text/javascript; charset=utf-8', body: DASHBOARD_LOGIC_JS },
    'app.css': { type: 'text/css; charset=utf-8', body: DASHBOARD_CSS },
};

/**
 * GET <prefix>/dashboard[/<asset>]. `path` is the request's URL path; a trailing slash is redirected away so the
 * page's relative asset URLs resolve next to it.
 */
export function dashboardResponse(asset: string | undefined, path: string): DashboardResponse {
    if (asset === undefined || asset === '') {
        if (path.endsWith('/')) {
            const target = path.replace(/\/+$/, '');
            return { status: 301, headers: { ...DASHBOARD_SECURITY_HEADERS, location: target }, body: '' };
        }
        return {
            status: 200,
            headers: { ...DASHBOARD_SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' },
            body: DASHBOARD_HTML,
        };
    }
    const found = Object.prototype.hasOwnProperty.call(ASSETS, asset) ? ASSETS[asset] : undefined;
    if (!found) {
        return {
            status: 404,
            headers: { ...DASHBOARD_SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' },
            body: 'not found',
        };
    }
    return { status: 200, headers: { ...DASHBOARD_SECURITY_HEADERS, 'content-type': found.type }, body: found.body };
}
