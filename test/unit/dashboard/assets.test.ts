import { runInNewContext } from 'node:vm';

import { describe, expect, it } from 'vitest';

import { dashboardResponse } from '../../../shared/dashboard/assets';
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
        expect(refs.sort()).toEqual(['dashboard/app.css', 'dashboard/app.js', 'dashboard/logic.js']);
    });

    it('the browser code never turns data into markup and never stores the token', () => {
        for (const source of [DASHBOARD_APP_JS, DASHBOARD_LOGIC_JS]) {
            expect(source).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
            expect(source).not.toMatch(/localStorage|sessionStorage|document\.cookie/);
        }
        // Both scripts are valid JavaScript (a syntax error would only show up in the browser otherwise).
        expect(() => runInNewContext(`(function(){ return; ${DASHBOARD_APP_JS} })`)).not.toThrow();
        expect(() => runInNewContext(`(function(){ return; ${DASHBOARD_LOGIC_JS} })`)).not.toThrow();
    });
});
