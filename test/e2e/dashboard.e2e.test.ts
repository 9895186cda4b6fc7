import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type InventoryView, runScan, tenantCredentials } from './support/triggers';
import { type RotationView, World } from './support/world';
import { NO_EVIDENCE_SOURCE } from '../sandbox/seedTenant';

const HOUR = 3_600;
const DAY_MS = 86_400_000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SCREENSHOT = resolve(__dirname, '..', '..', 'test-results', 'dashboard.png');
const SCREENSHOT_NARROW = resolve(__dirname, '..', '..', 'test-results', 'dashboard-narrow.png');

const SKIP_REASON = `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
if (!HAVE_CHROMIUM) console.warn(`dashboard browser test skipped: ${SKIP_REASON}`);

// CI sets this so a missing browser fails the run instead of skipping the test.
describe.runIf(!HAVE_CHROMIUM && process.env.REQUIRE_CHROMIUM === '1')('dashboard browser prerequisites', () => {
    it('Chromium is installed', () => {
        expect.fail(SKIP_REASON);
    });
});

// The flags CI uses: no sandbox (containers), no GPU, and nothing that talks to the network on its own.
const CHROMIUM_ARGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
];

const APPS = [
    { displayName: 'orders-api', expiresInDays: 60, secretName: 'orders-api-secret', tags: NO_EVIDENCE_SOURCE },
    { displayName: 'billing-worker', expiresInDays: 3, secretName: 'billing-worker-secret', tags: NO_EVIDENCE_SOURCE },
    // Not due yet (so the scan leaves it alone); its consumer is pinned to the current Key Vault version.
    { displayName: 'teams-agent', expiresInDays: 45, secretName: 'teams-agent-secret' },
    // Not due yet; no consumer and no waiver tag: nothing can show its new key in use (the operator's waiver).
    { displayName: 'inventory-sync', expiresInDays: 50, secretName: 'inventory-sync-secret' },
    { displayName: 'legacy-batch', expiresInDays: -5 },
    { displayName: 'partner-portal', expiresInDays: 6 },
    { displayName: 'reports', expiresInDays: 20 },
    { displayName: 'search-indexer', expiresInDays: 75 },
    { displayName: 'healthy-service', expiresInDays: 300 },
];

/**
 * The operator dashboard in headless Chromium against the app on the local host and the tenant emulator: the
 * operator signs in the standard single-page-app way (msal-browser, authorization code + PKCE, through the
 * emulator's sign-in page), sees what needs action first, the scan's counts and the expiry picture, starts a dry
 * run and a rotation (each asks for confirmation and a reason), and watches the rotation's step bar reach
 * Completed with its evidence and notifications.
 */
describe.skipIf(!HAVE_CHROMIUM)(
    `dashboard in headless Chromium${HAVE_CHROMIUM ? '' : ` (skipped: ${SKIP_REASON})`}`,
    () => {
        let world: World;
        let context: BrowserContext;
        let page: Page;
        let profile: string;
        const apiBodies: string[] = [];
        const pageErrors: string[] = [];

        beforeAll(async () => {
            world = await World.start({
                apps: APPS,
                // Two-hour usage re-checks keep the virtual clock moving in small steps while the pinned consumer
                // (signing in every 250 ms of real time) leaves its trail in the sign-in log.
                settings: { GRACE_PERIOD_DAYS: '1', USAGE_GATE_RECHECK_HOURS: '2' },
                consumers: async ({ start, app, vaultUrl, secretVersion }) => {
                    const pinned = await start('teams-agent-worker', app('teams-agent'), {
                        pinnedVersion: await secretVersion('teams-agent-secret'),
                    });
                    return {
                        consumers: [
                            {
                                vaultUrl,
                                secretName: 'teams-agent-secret',
                                refresh: [
                                    {
                                        name: 'teams-agent-worker',
                                        type: 'webhook',
                                        url: `${pinned.url}/refresh`,
                                        onFailure: 'abort',
                                    },
                                ],
                            },
                        ],
                    };
                },
            });
            profile = mkdtempSync(join(tmpdir(), 'dashboard-chromium-'));
            context = await chromium.launchPersistentContext(profile, {
                executablePath: CHROMIUM,
                headless: true,
                args: CHROMIUM_ARGS,
                viewport: { width: 1280, height: 900 },
                // The emulator serves HTTPS with its own local CA (real Entra's certificate is publicly trusted);
                // everything else about the sign-in is the real protocol.
                ignoreHTTPSErrors: true,
            });
            page = context.pages()[0] ?? (await context.newPage());
            page.on('pageerror', (e) => pageErrors.push(e.message));
            page.on('response', (res) => {
                if (new URL(res.url()).pathname.startsWith('/api/') && !res.url().includes('/api/dashboard')) {
                    res.text().then(
                        (t) => apiBodies.push(t),
                        () => undefined,
                    );
                }
            });
        }, 180_000);

        afterAll(async () => {
            await context?.close();
            if (profile) rmSync(profile, { recursive: true, force: true });
            await world?.close();
        });

        it('signs in with Entra (code + PKCE via msal-browser), comes back clean, and shows the seeded counts', async () => {
            // Ground truth first, independent of the app: every credential in the tenant and the emulator's clock.
            // (Taken before the scan, which starts the due rotation of billing-worker and so adds a credential.)
            const now = (await world.emu.now()).getTime();
            const all = await tenantCredentials(world);
            await runScan(world);
            const authority = new URL(world.emulator.baseUrl).origin;
            const sentToEntra: string[] = [];
            page.on('request', (req) => {
                if (req.url().startsWith(authority)) sentToEntra.push(`${req.method()} ${new URL(req.url()).pathname}`);
            });
            await page.goto(`${world.host.baseUrl}/api/dashboard?refresh=1000`);
            await page.click('#signin-button', { timeout: 30_000 });
            // The emulator's sign-in page: the sandbox operator user, one click, no password.
            await page.click(`button[name="login_user"][data-upn="${world.tenant.user?.userPrincipalName}"]`);
            await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
            expect(await page.textContent('#who')).toBe(
                'Sandbox Operator \u00b7 Rotation.Read, Rotation.Write, Rotation.Admin',
            );
            // The authorization response is gone from the address bar.
            expect(page.url()).toBe(`${world.host.baseUrl}/api/dashboard?refresh=1000`);
            expect(sentToEntra).toEqual(
                expect.arrayContaining([
                    `GET /${world.emulator.tenantId}/v2.0/.well-known/openid-configuration`,
                    `GET /${world.emulator.tenantId}/oauth2/v2.0/authorize`,
                    `POST /${world.emulator.tenantId}/oauth2/v2.0/authorize`,
                    `POST /${world.emulator.tenantId}/oauth2/v2.0/token`,
                ]),
            );
            // Needs action comes first on the page, then rotations in flight, then the expiry picture.
            const order = await page.$$eval('main > section h2', (hs) => hs.map((x) => x.id));
            expect(order.slice(0, 3)).toEqual(['action-title', 'inflight-title', 'timeline-title']);
            const marks = await page.$$eval('#timeline [data-mark]', (els) =>
                els.map((e) => ({ key: e.getAttribute('data-mark'), lane: e.getAttribute('data-lane') })),
            );
            const orders = world.app('orders-api');
            expect(marks).toContainEqual({ key: `${orders.appId}/${orders.keyId}`, lane: 'managed' });
            expect(marks.some((m) => m.key?.startsWith(world.app('healthy-service').appId))).toBe(false);

            const days = all.map((c) => (Date.parse(c.endDateTime) - now) / DAY_MS);
            const managed = APPS.filter((a) => a.secretName).length;
            const expected: Record<string, number> = {
                expired: days.filter((d) => d <= 0).length,
                expiringIn7Days: days.filter((d) => d > 0 && d <= 7).length,
                expiringIn30Days: days.filter((d) => d > 0 && d <= 30).length,
                expiringIn90Days: days.filter((d) => d > 0 && d <= 90).length,
                managed,
                unmanaged: all.length - managed,
                total: all.length,
            };
            // The seed decides these, so a regression in either the scan or the page shows up.
            expect(expected).toMatchObject({ expired: 1, expiringIn7Days: 2, expiringIn30Days: 3, managed: 4 });
            expect(expected.expiringIn90Days).toBe(7);

            const shown = await page.$$eval('#counts [data-count]', (cards) =>
                Object.fromEntries(
                    cards.map((c) => [c.getAttribute('data-count'), c.querySelector('.value')?.textContent]),
                ),
            );
            for (const [key, value] of Object.entries(expected)) expect(shown[key], key).toBe(String(value));
            // The page shows what the API reports (in grace and the rest come from the same inventory).
            const api = (await world.api<InventoryView>('GET', '/api/credentials')).body;
            expect(shown.inGrace).toBe(String(api.counts?.inGrace));

            // The table: managed rows have both buttons (and Unenroll for this Rotation.Admin user), unmanaged rows none.
            const rows = await page.$$eval('#credentials tbody tr', (trs) =>
                trs.map((tr) => ({
                    secret: tr.getAttribute('data-secret'),
                    text: tr.textContent ?? '',
                    buttons: [...tr.querySelectorAll('button')].map((b) => b.textContent),
                })),
            );
            const ordersRow = rows.find((r) => r.secret === 'orders-api-secret');
            expect(ordersRow?.buttons).toEqual(['Rotate now', 'Dry run', 'Unenroll']);
            const legacy = rows.find((r) => r.text.includes('legacy-batch'));
            expect(legacy?.buttons).toEqual([]);
            expect(legacy?.text).toContain('Expired');
        });

        it('the page itself is public and locked down; the data behind it is not', async () => {
            const res = await fetch(`${world.host.baseUrl}/api/dashboard`);
            expect(res.status).toBe(200);
            expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
            expect(await res.text()).not.toMatch(/orders-api|[0-9a-f]{8}-[0-9a-f]{4}-/);
            for (const path of ['/api/notifications', '/api/credentials', '/api/rotations']) {
                expect((await world.api('GET', path, undefined, null)).status, path).toBe(401);
            }

            // A token the API rejects sends the operator back to the sign-in box, with the API's reason.
            const other = await context.newPage();
            try {
                const forged = (await world.operatorToken()).replace(/\.[^.]+$/, '.AAAA');
                await other.goto(`${world.host.baseUrl}/api/dashboard#access_token=${forged}`);
                await other.waitForSelector('#signin:not([hidden])', { timeout: 15_000 });
                expect(await other.textContent('#signin-message')).toMatch(/^Signed out: 401 /);
                expect(await other.isHidden('#main')).toBe(true);
            } finally {
                await other.close();
            }
        });

        it('"Rotate now" asks first: cancelling starts nothing', async () => {
            const before = (await world.api<{ total: number }>('GET', '/api/rotations')).body.total;
            await page.click('tr[data-secret="orders-api-secret"] button[data-action="rotate"]');
            await page.waitForSelector('#confirm-dialog[open]');
            expect(await page.textContent('#confirm-title')).toBe('Rotate orders-api-secret now?');
            await page.click('#confirm-dialog button[value="cancel"]');
            await page.waitForSelector('#confirm-dialog:not([open])', { state: 'attached' });
            await new Promise((r) => setTimeout(r, 1500));
            expect((await world.api<{ total: number }>('GET', '/api/rotations')).body.total).toBe(before);
        });

        it('"Dry run" plans without changing anything', async () => {
            const before = await world.passwords(world.app('orders-api').appId);
            const id = await clickAndGetId(
                page,
                'tr[data-secret="orders-api-secret"] button[data-action="dry-run"]',
                /^Dry run of orders-api-secret started \((\S+)\)$/,
                'check before the real one',
            );
            const card = `details[data-rotation-id="${id}"]`;
            await page.waitForSelector(`${card}[data-status="Completed"]`, { timeout: 60_000 });
            expect(await page.textContent(`${card} summary`)).toContain('orders-api-secret (dry run)');
            expect((await world.rotation(id)).steps.map((s) => s.name)).toEqual(['preflight']);
            expect(await world.passwords(world.app('orders-api').appId)).toEqual(before);
        });

        it('"Rotate now" starts a rotation that the page follows to Completed, with its evidence', async () => {
            const app = world.app('orders-api');
            const id = await clickAndGetId(
                page,
                'tr[data-secret="orders-api-secret"] button[data-action="rotate"]',
                /^Rotation of orders-api-secret started \((\S+)\)$/,
                'expiring soon, rotating early',
            );
            const card = `details[data-rotation-id="${id}"]`;
            // While it runs it is in the "in flight" block with its step bar.
            await page.waitForSelector(`#inflight [data-rotation="${id}"] .stepbar`, { timeout: 30_000 });

            // Days pass on the virtual clock, an hour per step, while the rotation waits out its grace period.
            const done = await advanceUntilDone(world, id);
            expect(done.status).toBe('Completed');
            await page.waitForSelector(`${card}[data-status="Completed"]`, { timeout: 30_000 });
            expect(await page.getAttribute(card, 'open')).not.toBeNull();

            // Who started it (the signed-in user, recorded by the API from the token) and why.
            expect(await page.textContent(`${card} > summary`)).toContain(
                'Sandbox Operator via the operator API \u2014 \u201cexpiring soon, rotating early\u201d',
            );
            const steps = await page.$$eval(`${card} li.step`, (lis) =>
                lis.map((li) => ({ name: li.getAttribute('data-step'), state: li.getAttribute('data-state') })),
            );
            expect(steps.map((s) => s.name)).toEqual(done.steps.map((s) => s.name));
            expect(steps.every((s) => s.state === 'succeeded')).toBe(true);
            // The step bar: preflight to delete, each with its state; the confirm step is honest. orders-api has no
            // consumer (nothing can report the new key), so its secret carries the evidence waiver: the bar says
            // "waived, no evidence", not a green tick.
            const bar = await page.$$eval(`${card} .stepbar li`, (lis) =>
                lis.map((li) => [li.getAttribute('data-step'), li.getAttribute('data-state')]),
            );
            expect(bar).toEqual([
                ['preflight', 'succeeded'],
                ['create', 'succeeded'],
                ['verifyNew', 'succeeded'],
                ['publish', 'succeeded'],
                ['refresh', 'succeeded'],
                ['confirm', 'waived'],
                ['grace', 'succeeded'],
                ['usageGate', 'succeeded'],
                ['deleteOld', 'succeeded'],
            ]);
            expect(await page.textContent(`${card} .stepbar li[data-step="confirm"]`)).toContain('waived, no evidence');
            const evidence = await page.$$eval(`${card} [data-evidence]`, (els) =>
                els.map((e) => `${e.getAttribute('data-evidence')}: ${e.textContent ?? ''}`),
            );
            expect(evidence).toContain(`references: new key ${done.newKeyId} (fingerprint ${done.newFingerprint})`);
            expect(evidence).toContain(`references: old key ${app.keyId} (fingerprint ${done.oldFingerprint})`);
            expect(evidence).toContain('consumers: no consumers configured');
            expect(
                evidence.some((e) =>
                    new RegExp(`^sign-ins: no (successful )?sign-ins? with (the old key )?${app.keyId}`).test(e),
                ),
            ).toBe(true);

            // The rotation's notifications are in the feed, newest first (the feed is the app's own record).
            const feed = async () =>
                page.$$eval('#notifications li', (lis) =>
                    lis.map((li) => ({
                        type: li.getAttribute('data-type'),
                        rotation: li.getAttribute('data-rotation'),
                        text: li.textContent ?? '',
                    })),
                );
            const { rotationId } = done as RotationView & { rotationId: string };
            expect(rotationId).toBeTruthy();
            await page.waitForSelector(
                `#notifications li[data-type="Rotation.Completed"][data-rotation="${rotationId}"]`,
                {
                    timeout: 15_000,
                },
            );
            // One line per kind of event and secret, newest first: Completed above Started.
            const lines = (await feed()).filter((l) => l.text.includes('orders-api-secret'));
            const types = lines.map((l) => l.type);
            expect(types.indexOf('Rotation.Completed')).toBeGreaterThanOrEqual(0);
            expect(types.indexOf('Rotation.Completed')).toBeLessThan(types.indexOf('Rotation.Started'));
            expect(new Set(types).size).toBe(types.length);
        });

        it('a consumer pinned to the old version: the page shows AttentionRequired, the sign-ins, and the old key kept', async () => {
            const app = world.app('teams-agent');
            const id = await clickAndGetId(
                page,
                'tr[data-secret="teams-agent-secret"] button[data-action="rotate"]',
                /^Rotation of teams-agent-secret started \((\S+)\)$/,
                'pinned consumer check',
            );
            const card = `details[data-rotation-id="${id}"]`;
            const done = await advanceUntilDone(world, id);
            expect(done.status).toBe('AttentionRequired');
            expect(done.outcome?.code).toBe('still_in_use');
            await page.waitForSelector(`${card}[data-status="AttentionRequired"]`, { timeout: 30_000 });
            // The credentials table (as of the last scan) points at what happened since.
            expect(await page.textContent('tr[data-secret="teams-agent-secret"] [data-field="last-rotation"]')).toBe(
                'AttentionRequired',
            );

            const gate = await page.getAttribute(`${card} li.step[data-step="usageGate"]`, 'data-state');
            expect(gate).toBe('failed');
            expect(await page.$(`${card} li.step[data-step="deleteOld"]`)).toBeNull();
            expect(await page.getAttribute(`${card} .stepbar li[data-step="deleteOld"]`, 'data-state')).toBe('not-run');
            const checks = await page.$$eval(`${card} li[data-evidence="sign-ins"]`, (els) =>
                els.map((e) => e.textContent ?? '').filter((t) => t.startsWith('check ')),
            );
            // Every usage-gate check saw the pinned consumer signing in with the old key.
            expect(checks.length).toBeGreaterThanOrEqual(1);
            for (const check of checks)
                expect(check).toMatch(/^check \d+: [1-9]\d* successful sign-in\(s\) with the old key /);
            expect(await page.textContent(`${card} .outcome`)).toContain('still_in_use');
            // It is the first thing on the page: a card in "Needs action" for that secret.
            const action = '#actions [data-action-card="rotation"][data-secret="teams-agent-secret"]';
            await page.waitForSelector(action, { timeout: 15_000 });
            expect(await page.textContent(action)).toContain('teams-agent-secret \u2014 AttentionRequired');
            // The old credential really is still there (ground truth from the tenant, not the page).
            expect((await world.passwords(app.appId)).map((p) => p.keyId)).toContain(app.keyId);
            await page.waitForSelector(`#notifications li[data-type="Rotation.OldCredentialInUse"]`, {
                timeout: 15_000,
            });
        });

        it('no switch evidence: the card offers "Accept no evidence", which asks for a reason; accepted, the rotation deletes the old key and its history says who and why', async () => {
            const app = world.app('inventory-sync');
            const id = await clickAndGetId(
                page,
                'tr[data-secret="inventory-sync-secret"] button[data-action="rotate"]',
                /^Rotation of inventory-sync-secret started \((\S+)\)$/,
                'quarterly rotation',
            );
            const waiting = await followTimers(world, id, (v) => !['Pending', 'Running'].includes(v.status));
            expect(waiting.status).toBe('AttentionRequired');
            expect(waiting.outcome?.code).toBe('no_switch_evidence');
            const action = '#actions [data-action-card="rotation"][data-secret="inventory-sync-secret"]';
            const button = `${action} button[data-action="accept-no-evidence"]`;
            await page.waitForSelector(button, { timeout: 30_000 });
            expect(await page.textContent(action)).toContain('accept \u201cno evidence\u201d');

            // Cancel changes nothing.
            await page.click(button);
            await page.waitForSelector('#confirm-dialog[open]');
            expect(await page.textContent('#confirm-title')).toContain('inventory-sync-secret');
            await page.click('#confirm-dialog button[value="cancel"]');
            expect((await world.rotation(id)).status).toBe('AttentionRequired');

            await page.click(button);
            await page.waitForSelector('#confirm-dialog[open]');
            await page.fill('#confirm-reason', 'nightly export has no probe; CHG-77');
            await page.click('#confirm-ok');
            await waitForStatus(page, /^Accepted \u201cno evidence\u201d for inventory-sync-secret/);

            const view = await followTimers(world, id, (v) => v.status === 'Completed' || v.status === 'Failed');
            expect(view.status).toBe('Completed');
            expect((await world.passwords(app.appId)).map((p) => p.keyId)).toEqual([view.newKeyId]);
            const card = `details[data-rotation-id="${id}"]`;
            await page.waitForSelector(`${card}[data-status="Completed"] [data-field="waiver"]`, { timeout: 30_000 });
            expect(await page.textContent(`${card} [data-field="waiver"]`)).toMatch(
                /^No evidence accepted by Sandbox Operator at \S+ \u2014 \u201cnightly export has no probe; CHG-77\u201d$/,
            );
            expect(await page.$(button)).toBeNull();
        });

        it('enrollment: unenroll asks first; a secret enrolled through the page becomes managed again', async () => {
            const row = 'tr[data-secret="orders-api-secret"]';
            const enrolled = async () =>
                (
                    await world.api<{ items: { secretName: string; appId: string; keyId: string }[] }>(
                        'GET',
                        '/api/bindings?top=100',
                    )
                ).body.items.find((b) => b.secretName === 'orders-api-secret');
            const binding = await enrolled();
            expect(binding).toBeDefined();
            expect(await page.isVisible('#enroll-form')).toBe(true);

            // Unenroll asks first; cancelling changes nothing.
            await page.click(`${row} button[data-action="unenroll"]`);
            await page.waitForSelector('#confirm-dialog[open]');
            expect(await page.textContent('#confirm-title')).toBe('Unenroll orders-api-secret?');
            await page.click('#confirm-dialog button[value="cancel"]');
            await new Promise((r) => setTimeout(r, 1000));
            expect(await enrolled()).toEqual(binding);

            await page.click(`${row} button[data-action="unenroll"]`);
            await page.waitForSelector('#confirm-dialog[open]');
            await page.fill('#confirm-reason', 'moving to a managed identity');
            await page.click('#confirm-ok');
            await waitForStatus(page, /^Unenrolled orders-api-secret/);
            expect(await enrolled()).toBeUndefined();
            await page.waitForSelector(
                '#enroll-history li[data-binding-action="unenrolled"][data-secret="orders-api-secret"]',
            );
            expect(await page.textContent('#enroll-history li[data-binding-action="unenrolled"]')).toContain(
                'by Sandbox Operator',
            );
            await runScan(world);
            await page.waitForSelector(`${row} button[data-action="rotate"]`, { state: 'detached', timeout: 30_000 });

            // The API's refusal is shown as the API's message (the secret's tags name another key), and nothing is
            // enrolled.
            await page.fill('#enroll-secret', 'orders-api-secret');
            await page.fill('#enroll-app', binding!.appId);
            await page.fill('#enroll-key', '00000000-0000-0000-0000-000000000000');
            await page.click('#enroll-submit');
            await page.waitForSelector('#confirm-dialog[open]');
            expect(await page.textContent('#confirm-title')).toBe('Enroll orders-api-secret?');
            await page.fill('#confirm-reason', 'wrong key on purpose');
            await page.click('#confirm-ok');
            await waitForStatus(page, /^Could not enroll: 409 binding_mismatch: the secret's tags contradict /);
            expect(await enrolled()).toBeUndefined();

            await page.fill('#enroll-key', binding!.keyId);
            await page.click('#enroll-submit');
            await page.waitForSelector('#confirm-dialog[open]');
            await page.fill('#confirm-reason', 'back under rotation');
            await page.click('#confirm-ok');
            await waitForStatus(page, /^Enrolled orders-api-secret/);
            expect(await enrolled()).toMatchObject({ appId: binding!.appId, keyId: binding!.keyId });
            await runScan(world);
            await page.waitForSelector(`${row} button[data-action="rotate"]`, { timeout: 30_000 });
            await page.waitForSelector(
                '#enroll-history li[data-binding-action="enrolled"][data-secret="orders-api-secret"]',
            );
        }, 120_000);

        it('never shows secret text and raised no script errors; saves a screenshot', async () => {
            const secrets = world.tenant.apps.map((a) => a.clientSecret);
            for (const app of APPS.filter((a) => a.secretName)) {
                const live = await world.secretValue(app.secretName!);
                if (live) secrets.push(live.value);
            }
            secrets.push(world.tenant.operator.clientSecret, world.tenant.rotator.clientSecret);
            const html = await page.content();
            expect(apiBodies.length).toBeGreaterThan(3);
            for (const secret of secrets) {
                expect(secret.length).toBeGreaterThan(8);
                expect(html.includes(secret)).toBe(false);
                expect(apiBodies.some((b) => b.includes(secret))).toBe(false);
            }
            expect(pageErrors).toEqual([]);

            mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
            await page.screenshot({ path: SCREENSHOT, fullPage: true });
            expect(existsSync(SCREENSHOT)).toBe(true);
            // A phone-sized window: nothing may overflow sideways.
            await page.setViewportSize({ width: 390, height: 844 });
            await page.waitForTimeout(500);
            const overflow = await page.evaluate(() => {
                const d = (
                    globalThis as unknown as {
                        document: { documentElement: { scrollWidth: number; clientWidth: number } };
                    }
                ).document.documentElement;
                return d.scrollWidth - d.clientWidth;
            });
            expect(overflow).toBeLessThanOrEqual(0);
            await page.screenshot({ path: SCREENSHOT_NARROW, fullPage: false });
            await page.setViewportSize({ width: 1280, height: 900 });
        });
    },
);

/**
 * Clicks a button, confirms with a reason in the dialog it opens, and returns the id the page's status line
 * reports (a new line, not the previous one).
 */
async function clickAndGetId(page: Page, selector: string, pattern: RegExp, reason: string): Promise<string> {
    const before = (await page.textContent('#status')) ?? '';
    await page.click(selector);
    await page.waitForSelector('#confirm-dialog[open]');
    await page.fill('#confirm-reason', reason);
    await page.click('#confirm-ok');
    // Functions, not strings: the page's content security policy (rightly) refuses to evaluate strings.
    await page.waitForFunction(
        ([source, previous]) => {
            const text = (globalThis as unknown as PageGlobals).document.getElementById('status')?.textContent ?? '';
            return text !== previous && (new RegExp(source).test(text) || /^Could not start/.test(text));
        },
        [pattern.source, before] as const,
        { timeout: 30_000 },
    );
    const text = (await page.textContent('#status')) ?? '';
    const match = pattern.exec(text);
    if (!match?.[1]) throw new Error(`unexpected status line: ${text}`);
    return match[1];
}

/** Waits until the page's status line matches. */
async function waitForStatus(page: Page, pattern: RegExp): Promise<void> {
    try {
        await page.waitForFunction(
            (source) =>
                new RegExp(source).test(
                    (globalThis as unknown as PageGlobals).document.getElementById('status')?.textContent ?? '',
                ),
            pattern.source,
            { timeout: 30_000 },
        );
    } catch (e) {
        throw new Error(`status line "${await page.textContent('#status')}" never matched ${pattern}: ${String(e)}`);
    }
}

/** The browser globals the in-page functions use (the test project compiles without the DOM library). */
interface PageGlobals {
    location: { href: string };
    document: {
        getElementById(id: string): { textContent: string | null } | null;
        querySelectorAll(selector: string): Iterable<{ textContent: string | null }>;
    };
}

/** Like World.waitForRotation: move the virtual clock an hour at a time while a step waits on a timer. */
async function advanceUntilDone(world: World, id: string, timeoutMs = 150_000): Promise<RotationView> {
    const deadline = Date.now() + timeoutMs;
    let view = await world.rotation(id);
    while (['Pending', 'Running'].includes(view.status)) {
        if (Date.now() > deadline) throw new Error(`rotation ${id} did not finish: ${JSON.stringify(view.steps)}`);
        if (view.steps.some((s) => s.state === 'waiting')) await world.emu.advanceClock(HOUR);
        await new Promise((r) => setTimeout(r, 250));
        view = await world.rotation(id);
    }
    return view;
}

/**
 * Polls until `done`, moving the virtual clock an hour only while the rotation sleeps on a durable timer (grace,
 * log latency, re-checks): not for `confirm` (waiting for evidence is no timer) and not while it waits for its turn
 * at the shared sign-in read, which runs on real time.
 */
async function followTimers(
    world: World,
    id: string,
    done: (view: RotationView) => boolean,
    timeoutMs = 180_000,
): Promise<RotationView> {
    const deadline = Date.now() + timeoutMs;
    let view = await world.rotation(id);
    while (!done(view)) {
        if (Date.now() > deadline) throw new Error(`rotation ${id} did not settle: ${JSON.stringify(view.steps)}`);
        const sleeping = view.steps.some(
            (s) => s.state === 'waiting' && s.name !== 'confirm' && !/^waiting for quota/.test(s.detail),
        );
        if (sleeping && !(view as { awaiting?: unknown }).awaiting) await world.emu.advanceClock(HOUR);
        await new Promise((r) => setTimeout(r, 250));
        view = await world.rotation(id);
    }
    return view;
}
