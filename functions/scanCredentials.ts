import { type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { type DurableClient } from 'durable-functions';

import { getServices } from '../shared/composition';
import { invocationLogger } from '../shared/logging/logger';
import { startRotation } from '../shared/rotation/starter';
import { loadRotationMarks } from '../shared/scan/rotationMarks';
import { announceRuntimeFailures } from '../shared/scan/runtimeFailures';
import { scanTenant } from '../shared/scan/scanTenant';
import { sweepMarkedCredentials } from '../shared/scan/sweepMarked';

/** The backbone: every credential in the tenant, on a schedule (Key Vault events are only a fast path). */
export async function scanCredentials(_timer: Timer, client: DurableClient, context: InvocationContext): Promise<void> {
    const services = await getServices();
    const { config } = services;
    const log = invocationLogger(context);
    const now = await services.clock.now();
    const summary = await scanTenant(
        {
            scanner: services.scanner,
            managed: services.managedIndex,
            bindings: services.bindings,
            state: services.state,
            notifier: services.rotation.notifier,
            startRotation: (ref) =>
                startRotation(
                    { client, state: services.state },
                    {
                        vaultUrl: ref.vaultUrl,
                        secretName: ref.secretName,
                        appId: ref.appId,
                        keyId: ref.keyId,
                        dryRun: false,
                        reason: 'scheduled scan: inside the rotate window',
                        trigger: 'timer',
                    },
                ),
            rotationMarks: () => loadRotationMarks(client, now),
            policy: config.policy,
            vaultUrls: config.keyVault.vaultUrls,
            paused: config.paused,
            log,
        },
        { now, onProgress: (p) => log.debug('Scan progress', { count: p.apps, attempt: p.pages }) },
    );
    // Rotations that died in the Durable runtime (crash, non-determinism after a deploy) announced nothing
    // themselves: the scan announces each once. A failure here must not hide the scan's own result.
    try {
        const failures = await announceRuntimeFailures(
            {
                client,
                state: services.state,
                notifier: services.rotation.notifier,
                history: services.rotation.history,
                log,
            },
            { now, scanId: context.invocationId },
        );
        if (failures.announced.length > 0) log.warn('Runtime failures announced', { count: failures.announced.length });
    } catch (error) {
        log.error('Runtime failures could not be checked', {
            errorCode: error instanceof Error ? error.name : 'unknown',
        });
    }
    // Credentials rotations created and left behind (their own sweep could not see or remove them): removed only
    // when every fact is proven, reported first when there are many; see shared/scan/sweepMarked.ts.
    try {
        const sweep = await sweepMarkedCredentials(
            {
                client,
                bindings: services.bindings,
                history: services.rotation.history,
                managed: services.managedIndex,
                vaultUrls: config.keyVault.vaultUrls,
                credentials: services.rotation.credentials,
                state: services.state,
                notifier: services.rotation.notifier,
                log,
            },
            { now, scanId: context.invocationId, marked: summary.marked, paused: config.paused },
        );
        if (sweep.removed.length > 0 || sweep.reported.length > 0) {
            log.warn('Leftover credentials swept', {
                count: sweep.removed.length,
                status: `removed=${sweep.removed.length} reported=${sweep.reported.length} kept=${sweep.kept.length}`,
            });
        }
    } catch (error) {
        log.error('Leftover credentials could not be swept', {
            errorCode: error instanceof Error ? error.name : 'unknown',
        });
    }
    // Retention of the rotation records (HISTORY_RETENTION_DAYS, dry runs HISTORY_DRY_RUN_RETENTION_DAYS).
    try {
        const purged = await services.rotation.history.purge(now);
        if (purged.removed > 0) log.info('Rotation records past retention removed', { count: purged.removed });
    } catch (error) {
        log.error('Rotation records could not be purged', {
            errorCode: error instanceof Error ? error.name : 'unknown',
        });
    }
    log.info('Scan finished', {
        count: summary.credentials,
        status: `apps=${summary.apps} started=${summary.rotationsStarted} joined=${summary.rotationsJoined} alerts=${summary.alertsSent}`,
    });
}

df.app.client.timer('scanCredentials', { schedule: '%SCAN_SCHEDULE%', handler: scanCredentials });
