import { addDays } from '../../../shared/domain/time';
import { credentialDisplayName } from '../../../shared/rotation/markers';
import { Activities } from '../../../shared/rotation/names';
import { unavailable } from '../../support/fakes/failures';
import { refreshFailed } from '../../support/fakes/FakeRefresher';
import { rotationInput } from '../../support/fakes/inputs';
import { type DriveOptions, driveRotation, type DriveResult } from '../../support/fakes/orchestrationDriver';
import { APP_ID, createWorld, ROTATION_ID, START, type World, type WorldOptions } from '../../support/fakes/world';

export const webhook = (name: string, onFailure: 'abort' | 'continue' = 'abort'): Record<string, unknown> => ({
    name,
    type: 'webhook',
    url: `https://${name}.example/refresh`,
    onFailure,
});

export const probe = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    name,
    type: 'probe',
    url: `https://${name}.example/health`,
    ...extra,
});

export interface Scenario {
    readonly world?: WorldOptions;
    readonly input?: Record<string, unknown>;
    /** Scripts the fakes before the run. */
    readonly arrange?: (world: World) => void;
    /** Builds a fresh per-run hook (hooks keep state, and a scenario may run more than once). */
    readonly hook?: () => DriveOptions['beforeActivity'];
}

/** Fails the first execution of `activity` (and its retries) with a retryable vault error. */
export function vaultDownDuring(
    activity: string,
    method: 'getLatest' | 'setSecret',
): () => DriveOptions['beforeActivity'] {
    return () => {
        let armed = true;
        return (name, _input, world) => {
            if (name !== activity || !armed) return;
            armed = false;
            world.vault.failures.failNext(method, unavailable('vault unavailable'), 4);
        };
    };
}

/** Named scripts shared by the behaviour, determinism and leak tests. */
export const scenarios: Readonly<Record<string, Scenario>> = {
    happy: { world: { consumers: [webhook('api'), probe('api-health')] } },
    propagation: { world: { consumers: [webhook('api')] }, arrange: (w) => void w.verifier.failWith(7000215, 2) },
    verifyPermanent: { world: { consumers: [webhook('api')] }, arrange: (w) => void w.verifier.failWith(7000222, 100) },
    verifyUnreachable: {
        world: { consumers: [webhook('api')] },
        hook: vaultDownDuring(Activities.verifyCredential, 'getLatest'),
    },
    abortConsumer: {
        world: { consumers: [webhook('api'), webhook('worker')] },
        arrange: (w) => void w.refresher.script('api', [refreshFailed('HTTP 500')]),
    },
    continueConsumer: {
        world: { consumers: [webhook('cache', 'continue'), webhook('api')] },
        arrange: (w) => void w.refresher.script('cache', [refreshFailed('HTTP 404')]),
    },
    stillInUse: {
        world: { consumers: [webhook('api')] },
        arrange: (w) => w.signIns.useContinuously(APP_ID, w.oldKeyId, START),
    },
    inUseThenStops: {
        world: { consumers: [webhook('api')] },
        arrange: (w) =>
            w.signIns.useContinuously(APP_ID, w.oldKeyId, START, addDays(new Date(START), 7.5).toISOString()),
    },
    oldKeyAbsent: { world: { oldKeyPresent: false, consumers: [webhook('api')] } },
    dryRun: { world: { consumers: [webhook('api')] }, input: { dryRun: true } },
    lostResponse: { world: { consumers: [webhook('api')] }, arrange: (w) => w.directory.loseNextAddPasswordResponse() },
    /** A previous attempt of this rotation's create died after Graph added the credential, before the stash. */
    orphanFromCrash: {
        world: { consumers: [webhook('api')] },
        arrange: (w) => void w.directory.seedCredential(APP_ID, { displayName: credentialDisplayName(ROTATION_ID) }),
    },
    /** Publish wrote the live version, then the stash clean-up failed once; the retry finishes it. */
    publishCleanupRetried: {
        world: { consumers: [webhook('api')] },
        hook: () => {
            let armed = true;
            return (name, _input, world) => {
                if (name !== Activities.publishCredential || !armed) return;
                armed = false;
                world.vault.failures.failNext('deleteSecret', unavailable('vault unavailable'));
            };
        },
    },
    stashFailure: {
        world: { consumers: [webhook('api')] },
        hook: vaultDownDuring(Activities.createCredential, 'setSecret'),
    },
    publishFailure: {
        world: { consumers: [webhook('api')] },
        hook: vaultDownDuring(Activities.publishCredential, 'setSecret'),
    },
};

export async function runScenario(
    scenario: Scenario,
    extra: Partial<DriveOptions> = {},
): Promise<{ world: World; run: DriveResult }> {
    const world = createWorld(scenario.world);
    scenario.arrange?.(world);
    const run = await driveRotation(world, {
        input: rotationInput(scenario.input),
        beforeActivity: scenario.hook?.(),
        ...extra,
    });
    return { world, run };
}
