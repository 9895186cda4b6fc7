import { runInNewContext } from 'node:vm';

import { describe, expect, it } from 'vitest';

import { dashboardResponse, dashboardScope } from '../../../shared/dashboard/assets';
import { DASHBOARD_LOGIC_JS } from '../../../shared/dashboard/clientLogic';
import { DASHBOARD_APP_JS } from '../../../shared/dashboard/clientUi';
import { DASHBOARD_HTML } from '../../../shared/dashboard/page';

describe('dashboard assets', () => {
    it('serves the page with a strict content security policy', () => {
        const page = dashboardResponse(undefined, '/api/dashboard');
        expect(page.status).toBe(200);
        expect(page.headers['content-type']).toMatch(/^text\/html/);
        const csp = page.headers['content-security-policy'] ?? '';
        expect(csp).toContain("script-src 'self'");
        expect(csp).toContain("connect-src 'self'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).not.toContain('unsafe-inline');
        expect(page.headers['referrer-policy']).toBe('no-referrer');
    });

    it('serves the scripts and the stylesheet, and nothing else', () => {
        expect(dashboardResponse('app.js', '/api/dashboard/app.js').headers['content-type']).toMatch(/javascript/);
        expect(dashboardResponse('logic.js', '/api/dashboard/logic.js').body).toBe(DASHBOARD_LOGIC_JS);
        expect(dashboardResponse('app.css', '/api/dashboard/app.css').headers['content-type']).toMatch(/^text\/css/);
        for (const name of ['index.html', '../composition.ts', 'constructor', '__proto__', 'toString']) {
            expect(dashboardResponse(name, `/api/dashboard/${name}`).status).toBe(404);
        }
    });

    it('redirects a trailing slash so relative asset URLs resolve', () => {
        const res = dashboardResponse(undefined, '/api/dashboard/');
        expect(res.status).toBe(301);
        expect(res.headers.location).toBe('/api/dashboard');
    });

    it('the page has no inline script or style, and references only its own assets', () => {
        expect(DASHBOARD_HTML).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*\bsrc=)/);
        expect(DASHBOARD_HTML).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
        const refs = [...DASHBOARD_HTML.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
        expect(refs.sort()).toEqual([
            'dashboard/app.css',
            'dashboard/app.js',
            'dashboard/favicon.svg',
            'dashboard/logic.js',
            'dashboard/msal-browser.min.js',
        ]);
    });

    it('the browser code never turns data into markup and never stores a token itself', () => {
        for (const source of [DASHBOARD_APP_JS, DASHBOARD_LOGIC_JS]) {
            expect(source).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
            // MSAL keeps its own cache in this tab's session storage (its default for SPAs); the page's own code
            // never reads or writes storage or cookies, so a pasted token stays in memory.
            expect(source).not.toMatch(/localStorage|(window\.)?sessionStorage\.|document\.cookie/);
        }
        expect(DASHBOARD_APP_JS.match(/sessionStorage/g)).toEqual(['sessionStorage']);
        // Both scripts are valid JavaScript (a syntax error would only show up in the browser otherwise).
        expect(() => runInNewContext(`(function(){ return; ${DASHBOARD_APP_JS} })`)).not.toThrow();
        expect(() => runInNewContext(`(function(){ return; ${DASHBOARD_LOGIC_JS} })`)).not.toThrow();
    });

    it("serves msal-browser's own browser bundle (no eval, so the strict policy holds) and a favicon", () => {
        const bundle = dashboardResponse('msal-browser.min.js', '/api/dashboard/msal-browser.min.js');
        expect(bundle.status).toBe(200);
        expect(bundle.headers['content-type']).toMatch(/javascript/);
        expect(bundle.body).toMatch(/^\/\*! @azure\/msal-browser v\d+\./);
        expect(bundle.body).not.toMatch(/\beval\(|new Function\(/);
        expect(dashboardResponse('favicon.svg', '/api/dashboard/favicon.svg').headers['content-type']).toBe(
            'image/svg+xml',
        );
    });

    it('with sign-in configured: the page may reach the authority (and only it), and config.json says how', () => {
        const signIn = {
            clientId: '11111111-2222-3333-4444-555555555555',
            tenantId: '99999999-8888-7777-6666-555555555555',
            authorityHost: 'https://login.microsoftonline.com/',
            scope: dashboardScope('api://entra-credential-rotator'),
        };
        const page = dashboardResponse(undefined, '/api/dashboard', signIn);
        expect(page.headers['content-security-policy']).toContain(
            "connect-src 'self' https://login.microsoftonline.com;",
        );
        expect(page.headers['content-security-policy']).toContain("script-src 'self';");
        const config = JSON.parse(
            dashboardResponse('config.json', '/api/dashboard/config.json', signIn).body,
        ) as unknown;
        expect(config).toEqual({
            signIn: {
                clientId: signIn.clientId,
                authority: `https://login.microsoftonline.com/${signIn.tenantId}`,
                knownAuthority: 'login.microsoftonline.com',
                scopes: ['api://entra-credential-rotator/user_impersonation'],
            },
        });
        // Without it the page offers the pasted token only, and talks to nobody but this app.
        expect(JSON.parse(dashboardResponse('config.json', '/api/dashboard/config.json').body)).toEqual({
            signIn: null,
        });
        expect(dashboardResponse(undefined, '/api/dashboard').headers['content-security-policy']).toContain(
            "connect-src 'self';",
        );
    });
});
