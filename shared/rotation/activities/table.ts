import { type z } from 'zod';

import { type Logger } from '../../logging/logger';
import {
    CreateInputSchema,
    DeleteOldInputSchema,
    DiscardInputSchema,
    DiscardOrphansInputSchema,
    NotifyInputSchema,
    parseActivityInput,
    PreflightInputSchema,
    PublishInputSchema,
    RefreshInputSchema,
    UsageInputSchema,
    VerifyInputSchema,
} from '../contracts';
import { type RotationDeps } from '../deps';
import { Activities } from '../names';
import { createCredential, discardOrphans } from './createCredential';
import { checkUsage, deleteOldCredential, notify, refreshConsumer } from './observe';
import { preflight } from './preflight';
import { publishCredential } from './publishCredential';
import { discardCredential, verifyCredential } from './verifyCredential';

/** Validates an activity's raw input, then runs its use-case. */
export type ActivityHandler = (deps: RotationDeps, raw: unknown, log: Logger) => Promise<unknown>;

function entry<S extends z.ZodType>(
    name: string,
    schema: S,
    run: (deps: RotationDeps, input: z.output<S>, log: Logger) => Promise<unknown>,
): [string, ActivityHandler] {
    return [name, (deps, raw, log) => run(deps, parseActivityInput(schema, raw, name), log)];
}

/**
 * Every rotation activity: name → validated use-case. The function app registers exactly this table, and the
 * host-free orchestrator tests run it against fakes, so the two can never disagree.
 */
export const rotationActivities: ReadonlyMap<string, ActivityHandler> = new Map([
    entry(Activities.preflight, PreflightInputSchema, (deps, input) => preflight(deps, input)),
    entry(Activities.createCredential, CreateInputSchema, createCredential),
    entry(Activities.discardOrphans, DiscardOrphansInputSchema, discardOrphans),
    entry(Activities.verifyCredential, VerifyInputSchema, (deps, input) => verifyCredential(deps, input)),
    entry(Activities.discardCredential, DiscardInputSchema, (deps, input) => discardCredential(deps, input)),
    entry(Activities.publishCredential, PublishInputSchema, (deps, input) => publishCredential(deps, input)),
    entry(Activities.refreshConsumer, RefreshInputSchema, (deps, input) => refreshConsumer(deps, input)),
    entry(Activities.checkUsage, UsageInputSchema, (deps, input) => checkUsage(deps, input)),
    entry(Activities.deleteOldCredential, DeleteOldInputSchema, (deps, input) => deleteOldCredential(deps, input)),
    entry(Activities.notify, NotifyInputSchema, (deps, input) => notify(deps, input)),
]);
