/** Registered function names, shared by registrations, orchestrators and starters so they cannot drift. */
export const Orchestrations = {
    rotateCredential: 'rotateCredential',
} as const;

export const Activities = {
    preflight: 'rotationPreflight',
    createCredential: 'rotationCreateCredential',
    discardOrphans: 'rotationDiscardOrphans',
    verifyCredential: 'rotationVerifyCredential',
    discardCredential: 'rotationDiscardCredential',
    publishCredential: 'rotationPublishCredential',
    refreshConsumer: 'rotationRefreshConsumer',
    checkUsage: 'rotationCheckUsage',
    deleteOldCredential: 'rotationDeleteOldCredential',
    notify: 'rotationNotify',
} as const;

export type ActivityName = (typeof Activities)[keyof typeof Activities];
