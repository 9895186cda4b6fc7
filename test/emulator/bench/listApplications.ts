/**
 * `npm run bench:emulator`: seeds 100,000 applications through the bulk control route, then lists them all with
 * `$top=999` following `@odata.nextLink`, and prints one JSON line with the timings and the peak RSS of this
 * process (emulator and client together). `--apps N` changes the count.
 */
import { rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { parseArgs } from 'node:util';

import { startEmulator } from '../core/server';

interface Response {
    status: number;
    body: string;
}

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { apps: { type: 'string', default: '100000' } } });
    const apps = Number(values.apps);
    const emulator = await startEmulator();
    const agent = new Agent({ keepAlive: true, ca: emulator.caCertPem });
    const send = (method: string, url: string, headers: Record<string, string>, body?: string) =>
        new Promise<Response>((resolve, reject) => {
            const req = request(url, { method, agent, headers }, (res) => {
                const chunks: Buffer[] = [];
                res.on('data', (chunk: Buffer) => chunks.push(chunk));
                res.on('end', () =>
                    resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
                );
            });
            req.on('error', reject);
            req.end(body);
        });
    try {
        const seedStarted = performance.now();
        const seeded = await send(
            'POST',
            `${emulator.baseUrl}/_emulator/entra/seed`,
            { 'content-type': 'application/json' },
            JSON.stringify({ count: apps, displayNamePrefix: 'bench-' }),
        );
        if (seeded.status !== 200) throw new Error(`seed failed: ${seeded.status}`);
        const seedMs = performance.now() - seedStarted;

        const form = new URLSearchParams({
            client_id: emulator.principals.admin.clientId,
            client_secret: emulator.principals.admin.clientSecret,
            grant_type: 'client_credentials',
            scope: 'https://graph.microsoft.com/.default',
        });
        const tokenResponse = await send(
            'POST',
            `${emulator.baseUrl}/${emulator.tenantId}/oauth2/v2.0/token`,
            { 'content-type': 'application/x-www-form-urlencoded' },
            form.toString(),
        );
        const token = (JSON.parse(tokenResponse.body) as { access_token: string }).access_token;

        const listStarted = performance.now();
        const pageTimes: number[] = [];
        let listed = 0;
        let url: string | undefined =
            `${emulator.baseUrl}/v1.0/applications?$select=id,appId,displayName,passwordCredentials&$top=999`;
        while (url) {
            const pageStarted = performance.now();
            const page = await send('GET', url, { authorization: `Bearer ${token}` });
            if (page.status !== 200) throw new Error(`list failed: ${page.status}`);
            const parsed = JSON.parse(page.body) as { value: unknown[]; '@odata.nextLink'?: string };
            listed += parsed.value.length;
            url = parsed['@odata.nextLink'];
            pageTimes.push(performance.now() - pageStarted);
        }
        const listMs = performance.now() - listStarted;
        pageTimes.sort((a, b) => a - b);
        const percentile = (p: number) =>
            Math.round(pageTimes[Math.min(pageTimes.length - 1, Math.floor(p * pageTimes.length))] ?? 0);
        process.stdout.write(
            `${JSON.stringify({
                benchmark: 'emulator-list-applications',
                apps,
                listed: listed - 1, // minus the bootstrap admin app
                pages: pageTimes.length,
                seedMs: Math.round(seedMs),
                listMs: Math.round(listMs),
                pageP50Ms: percentile(0.5),
                pageP95Ms: percentile(0.95),
                peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
            })}\n`,
        );
    } finally {
        agent.destroy();
        await emulator.close();
        rmSync(emulator.stateDir, { recursive: true, force: true });
    }
}

main().catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
});
