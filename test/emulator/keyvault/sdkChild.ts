/**
 * Child-process half of `childProcess.test.ts`: the SDKs exactly as the product builds them, trusting the
 * emulator only through NODE_EXTRA_CA_CERTS (read at process start; no custom agent). Input: one JSON object
 * on stdin (secrets never on the command line). Output: one JSON line, without secret values.
 */
import { AzureKeyCredential, EventGridPublisherClient } from '@azure/eventgrid';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';

import { fingerprintOfText } from '../../../shared/security/fingerprint';

interface Input {
    tenantId: string;
    authorityHost: string;
    vaultUrl: string;
    clientId: string;
    clientSecret: string;
    topicEndpoint: string;
    topicKey: string;
    secretValue: string;
}

async function main(): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Input;
    const credential = new ClientSecretCredential(input.tenantId, input.clientId, input.clientSecret, {
        authorityHost: input.authorityHost,
        disableInstanceDiscovery: true,
    });
    const secrets = new SecretClient(input.vaultUrl, credential, { disableChallengeResourceVerification: true });
    const set = await secrets.setSecret('child-secret', input.secretValue);
    const got = await secrets.getSecret('child-secret');
    const publisher = new EventGridPublisherClient(
        input.topicEndpoint,
        'EventGrid',
        new AzureKeyCredential(input.topicKey),
    );
    await publisher.send([{ eventType: 'Contoso.Child', subject: 'child', dataVersion: '1', data: { ok: true } }]);
    process.stdout.write(
        `${JSON.stringify({
            ok: true,
            version: set.properties.version,
            vaultUrl: got.properties.vaultUrl,
            fingerprint: fingerprintOfText(got.value ?? ''),
        })}\n`,
    );
}

main().catch((error: unknown) => {
    const e = error as { name?: string; message?: string; statusCode?: number; code?: string };
    process.stdout.write(
        `${JSON.stringify({ ok: false, name: e.name, message: e.message, statusCode: e.statusCode, code: e.code })}\n`,
    );
});
