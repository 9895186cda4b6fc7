import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { describe, expect, it } from 'vitest';

import { startRotation } from '../../../shared/rotation/starter';

/** The two client calls the starter makes, answering like the Durable extension's HTTP API does. */
function client(opts: { runningAfterStart: boolean }): DurableClient {
    let calls = 0;
    return {
        getStatus: () => {
            calls++;
            if (calls === 1 || !opts.runningAfterStart) return Promise.reject(new Error('HTTP 404 (not found)'));
            return Promise.resolve({ runtimeStatus: 'Running' } as DurableOrchestrationStatus);
        },
        // durable-functions 3.x rejects a non-2xx start like this; the extension answers 500 for an active id.
        startNew: () =>
            Promise.reject(
                new Error(
                    'The operation failed with an unexpected status code: 500. Details: {"Message":"Something went wrong while processing your request","ExceptionMessage":"An Orchestration instance with the status Running already exists."}',
                ),
            ),
    } as unknown as DurableClient;
}

const request = {
    vaultUrl: 'https://vault.example',
    secretName: 's',
    dryRun: false,
    reason: 'test',
    trigger: 'api',
} as const;

describe('startRotation against the real start semantics', () => {
    it('a start that lost the race (500 from the extension) joins the running instance', async () => {
        const result = await startRotation(client({ runningAfterStart: true }), request);
        expect(result.alreadyRunning).toBe(true);
    });

    it('a start failure with no active instance behind it is an error', async () => {
        await expect(startRotation(client({ runningAfterStart: false }), request)).rejects.toThrow(/500/);
    });
});
