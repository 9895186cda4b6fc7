/**
 * Every rotation orchestrator name ever released, oldest first. Instances sleep for days (grace, re-checks), and
 * Durable replays them with the code registered under the name they started with; a changed step sequence under
 * the same name fails them with a non-determinism error. So a release that changes the sequence adds a new name
 * (`rotateCredential_v2`, …) for new starts, and every released name stays registered with the code it shipped
 * with until no instance of it can be running (test/host/versioning.test.ts shows both outcomes).
 * Durable's own orchestration versioning (extension bundle 4.26+) is in public preview and also keeps the old
 * code in the app (branching on `context.df.version`); a new name needs neither the preview nor host.json.
 */
export const ROTATION_ORCHESTRATOR_RELEASES = ['rotateCredential', 'rotateCredential_v2'] as const;

export type RotationOrchestratorName = (typeof ROTATION_ORCHESTRATOR_RELEASES)[number];

/** Registered function names, shared by registrations, orchestrators and starters so they cannot drift. */
export const Orchestrations = {
    /** The name new rotations start with: the latest release. */
    rotateCredential: ROTATION_ORCHESTRATOR_RELEASES[ROTATION_ORCHESTRATOR_RELEASES.length - 1]!,
} as const;

/** An instance of any released rotation orchestrator (the API and the scan read all of them). */
export function isRotationOrchestration(name: string | undefined): boolean {
    return (ROTATION_ORCHESTRATOR_RELEASES as readonly string[]).includes(name ?? '');
}

export const Activities = {
    preflight: 'rotationPreflight',
    createCredential: 'rotationCreateCredential',
    discardOrphans: 'rotationDiscardOrphans',
    sweepCredentials: 'rotationSweepCredentials',
    verifyCredential: 'rotationVerifyCredential',
    discardCredential: 'rotationDiscardCredential',
    publishCredential: 'rotationPublishCredential',
    refreshConsumer: 'rotationRefreshConsumer',
    /** Release 1's per-rotation sign-in query; kept for instances of release 1. */
    checkUsage: 'rotationCheckUsage',
    watchSignIns: 'rotationWatchSignIns',
    readSignInEvidence: 'rotationReadSignInEvidence',
    deleteOldCredential: 'rotationDeleteOldCredential',
    notify: 'rotationNotify',
    recordHistory: 'rotationRecordHistory',
} as const;

/** The external event the operator API raises when an operator accepts "no evidence" for a waiting rotation. */
export const ACCEPT_NO_EVIDENCE_EVENT = 'acceptNoEvidence';

export type ActivityName = (typeof Activities)[keyof typeof Activities];
