import { readFileSync } from 'node:fs';

import { type World } from './world';

/** What `GET /api/credentials` answers (the fields the tests read). */
export interface InventoryView {
    generatedAt: string | null;
    counts: Record<string, number> | null;
    items: { appId: string; keyId: string; state: string; managed: boolean; secretName: string | null }[];
    total: number;
    omitted?: number;
}

export interface RotationListView {
    items: { id: string; secretName: string | null; trigger: string | null; dryRun: boolean; status: string }[];
    total: number;
}

const SCAN_DONE = /scanCredentials: Scan finished/;
/** The host's line for a function invocation that threw (errors the scan logs and survives are not failures). */
const SCAN_FAILED = /Executed 'scanCredentials' \(Failed\)/;

function countLines(file: string, pattern: RegExp): number {
    let text = '';
    try {
        text = readFileSync(file, 'utf8');
    } catch {
        return 0;
    }
    return text.split('\n').filter((line) => pattern.test(line)).length;
}

/**
 * Fires the timer now through the host's admin API (which answers 202 and runs it in the background) and waits
 * for the scan's "Scan finished" log line; a scan error fails fast with the host's own error line.
 */
export async function runScan(world: World, timeoutMs = 120_000): Promise<void> {
    const log = world.host.logFile;
    const done = countLines(log, SCAN_DONE);
    const failed = countLines(log, SCAN_FAILED);
    const res = await fetch(`${world.host.baseUrl}/admin/functions/scanCredentials`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-functions-key': world.host.keys.masterKey },
        body: '{}',
    });
    if (res.status !== 202) throw new Error(`firing the scan failed: ${res.status}`);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (countLines(log, SCAN_DONE) > done) return;
        if (countLines(log, SCAN_FAILED) > failed) {
            const lines = readFileSync(log, 'utf8')
                .split('\n')
                .filter((l) => SCAN_FAILED.test(l));
            throw new Error(`the scan failed: ${lines.at(-1) ?? ''}`);
        }
        await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the scan did not finish in ${timeoutMs} ms; see ${log}`);
}

export async function inventory(world: World, query = ''): Promise<InventoryView> {
    const res = await world.api<InventoryView>('GET', `/api/credentials${query}`);
    if (res.status !== 200) throw new Error(`GET /api/credentials: ${res.status} ${res.text}`);
    return res.body;
}

export async function rotations(world: World): Promise<RotationListView['items']> {
    const res = await world.api<RotationListView>('GET', '/api/rotations?top=100&days=365');
    if (res.status !== 200) throw new Error(`GET /api/rotations: ${res.status} ${res.text}`);
    return res.body.items;
}

/** Every application credential in the tenant, listed by the emulator's admin through Graph (the ground truth). */
export async function tenantCredentials(
    world: World,
): Promise<{ appId: string; keyId: string; endDateTime: string }[]> {
    const token = await world.emu.adminToken('https://graph.microsoft.com/.default');
    const out: { appId: string; keyId: string; endDateTime: string }[] = [];
    let path: string | undefined = '/v1.0/applications?$select=appId,passwordCredentials,keyCredentials&$top=999';
    while (path) {
        const res: Awaited<ReturnType<typeof world.emu.call<GraphAppsPage>>> = await world.emu.call<GraphAppsPage>(
            'GET',
            path,
            undefined,
            { authorization: `Bearer ${token}` },
        );
        if (res.status !== 200) throw new Error(`listing applications failed: ${res.status}`);
        for (const app of res.body.value) {
            for (const c of [...(app.passwordCredentials ?? []), ...(app.keyCredentials ?? [])]) {
                out.push({ appId: app.appId, keyId: c.keyId, endDateTime: c.endDateTime });
            }
        }
        const next = res.body['@odata.nextLink'];
        path = next ? new URL(next).pathname + new URL(next).search : undefined;
    }
    return out;
}

interface GraphAppsPage {
    value: {
        appId: string;
        passwordCredentials?: { keyId: string; endDateTime: string }[];
        keyCredentials?: { keyId: string; endDateTime: string }[];
    }[];
    '@odata.nextLink'?: string;
}

/** The webhook URL an Event Grid subscription carries in Azure: the function name and the system key. */
export function eventGridWebhook(world: World): string {
    const code = encodeURIComponent(world.host.keys.systemKeys.eventgrid_extension);
    return `${world.host.baseUrl}/runtime/webhooks/EventGrid?functionName=onKeyVaultEvent&code=${code}`;
}

/** Subscribes the host's Event Grid webhook to the emulator vault's system topic (as the infra template does). */
export async function subscribeKeyVaultEvents(world: World): Promise<void> {
    await world.emu.expectOk(
        world.emu.call('POST', '/_emulator/eventGrid/subscriptions', {
            endpointUrl: eventGridWebhook(world),
            includedEventTypes: ['Microsoft.KeyVault.SecretNearExpiry', 'Microsoft.KeyVault.SecretExpired'],
            endpointType: 'AzureFunction',
            maxDeliveryAttempts: 5,
            deadLetter: true,
            name: 'rotator-secret-expiry',
        }),
        'subscribing the host to Key Vault events',
    );
}

/** Posts events to the host's Event Grid webhook the way Event Grid delivers them. */
export async function postToWebhook(world: World, events: readonly object[]): Promise<number> {
    const res = await fetch(eventGridWebhook(world), {
        method: 'POST',
        headers: {
            'content-type': 'application/json',
            'aeg-event-type': 'Notification',
            'aeg-subscription-name': 'ROTATOR-SECRET-EXPIRY',
            'aeg-delivery-count': '0',
        },
        body: JSON.stringify(events),
    });
    await res.text();
    return res.status;
}

/** Polls `check` until it returns a value other than undefined. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await check();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

/** Waits until nothing new happens for `quietMs` (used to prove that something did NOT start). */
export async function settle(quietMs = 2_000): Promise<void> {
    await new Promise((r) => setTimeout(r, quietMs));
}
