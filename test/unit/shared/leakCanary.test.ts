import { Console } from 'node:console';
import { Writable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../../shared/config';
import { classifyAadsts } from '../../../shared/domain/aadsts';
import { ensureError } from '../../../shared/errors/ensureError';
import { ErrorCodes } from '../../../shared/errors/errorCodes';
import { errorCodeOf, RotatorError } from '../../../shared/errors/RotatorError';
import { invocationLogger, type LogFields } from '../../../shared/logging/logger';
import { fingerprintOf } from '../../../shared/security/fingerprint';
import { redactValue, scrubKnown } from '../../../shared/security/redact';
import { Secret } from '../../../shared/security/Secret';

// Entra-shaped (40 characters, "8Q~") so every layer of defence is exercised, not only the Secret type.
const CANARY = 'Cn1' + '8Q~' + 'CANARY_leak.check-0123456789abcdef';

/**
 * One secret travels through every core path that produces text (config, errors, the Durable boundary,
 * logging through a real Console) and must come out only as a redaction or a fingerprint.
 */
describe('leak canary across the domain core', () => {
    it('never lets the value reach any output', () => {
        const chunks: string[] = [];
        const sink = new Writable({
            write(chunk: Buffer | string, _encoding, callback) {
                chunks.push(chunk.toString());
                callback();
            },
        });
        const console = new Console({ stdout: sink, stderr: sink, colorMode: false });
        const log = invocationLogger({
            debug: (...args: unknown[]) => console.debug(...args),
            info: (...args: unknown[]) => console.info(...args),
            warn: (...args: unknown[]) => console.warn(...args),
            error: (...args: unknown[]) => console.error(...args),
        });

        const config = loadConfig({
            ENTRA_TENANT_ID: '11111111-1111-1111-1111-111111111111',
            KEY_VAULT_URL: 'https://kv-rotator.vault.azure.net',
            EVENT_GRID_TOPIC_ENDPOINT: 'https://rotator.westeurope-1.eventgrid.azure.net/api/events',
            OPERATOR_API_AUDIENCE: 'api://entra-rotator',
            ROTATOR_AUTH_MODE: 'client-secret',
            AZURE_CLIENT_ID: '22222222-2222-2222-2222-222222222222',
            AZURE_CLIENT_SECRET: CANARY,
        });
        const secret = new Secret(CANARY);

        // An upstream error body that echoes the value in three encodings.
        const upstreamBody = `{"error":{"message":"bad value ${CANARY}","echo":"${encodeURIComponent(CANARY)}"}} client_secret=${CANARY}`;
        const upstream = new RotatorError(
            'upstream',
            ErrorCodes.verificationFailed,
            scrubKnown(upstreamBody, [secret]),
            {
                cause: new Error(upstreamBody),
            },
        );
        const rebuilt = new Error(
            `Activity function 'verify' failed: ${upstream.message} \n ${JSON.stringify(upstream)}`,
        );
        const classification = classifyAadsts(
            `invalid_client: Error(s): 7000215 - Description: AADSTS7000215: ${CANARY}:`,
        );

        log.info(`created credential ${String(secret)}`, { newFingerprint: fingerprintOf(secret) });
        log.info('config loaded', { reason: JSON.stringify(config) });
        log.warn('loose fields', { reason: CANARY, secretText: CANARY, clientSecret: secret } as unknown as LogFields);
        log.error('verification failed', { errorCode: errorCodeOf(rebuilt) }, rebuilt);
        log.error('thrown object', {}, { clientSecret: CANARY, nested: { token: CANARY, secret } });
        log.error('thrown string', {}, `password=${CANARY}`);
        log.debug(`classified ${classification.category}`, { aadstsCode: classification.code ?? null });

        const outputs = [
            chunks.join(''),
            JSON.stringify(config),
            JSON.stringify(upstream),
            upstream.message,
            rebuilt.message,
            JSON.stringify(redactValue({ config, secret, body: upstreamBody })),
            ensureError({ value: CANARY }).message,
            ensureError(upstreamBody).message,
        ];
        for (const output of outputs) {
            expect(output).not.toContain(CANARY);
            expect(output).not.toContain('CANARY_leak');
        }
        // The lines were written, with what operators need.
        const printed = chunks.join('');
        expect(printed).toContain(fingerprintOf(secret));
        expect(printed).toContain('verification_failed');
        expect(chunks.length).toBeGreaterThanOrEqual(7);
    });
});
