import { type z } from 'zod';

import { type Logger } from '../../../shared/logging/logger';
import { createCredential } from '../../../shared/rotation/activities/createCredential';
import { checkUsage, deleteOldCredential, notify, refreshConsumer } from '../../../shared/rotation/activities/observe';
import { preflight } from '../../../shared/rotation/activities/preflight';
import { publishCredential } from '../../../shared/rotation/activities/publishCredential';
import { discardCredential, verifyCredential } from '../../../shared/rotation/activities/verifyCredential';
import {
    CreateInputSchema,
    DeleteOldInputSchema,
    DiscardInputSchema,
    NotifyInputSchema,
    parseActivityInput,
    PreflightInputSchema,
    PublishInputSchema,
    RefreshInputSchema,
    UsageInputSchema,
    VerifyInputSchema,
} from '../../../shared/rotation/contracts';
import { type RotationDeps } from '../../../shared/rotation/deps';
import { Activities } from '../../../shared/rotation/names';

type Handler = (deps: RotationDeps, raw: unknown, log: Logger) => Promise<unknown>;

function entry<S extends z.ZodType>(
    name: string,
    schema: S,
    run: (deps: RotationDeps, input: z.output<S>, log: Logger) => Promise<unknown>,
): [string, Handler] {
    return [name, (deps, raw, log) => run(deps, parseActivityInput(schema, raw, name), log)];
}

/**
 * The activity table as the function app registers it (validate the input, run the use-case), so the
 * orchestrator tests run the real use-cases against the fakes.
 */
export const activityHandlers: ReadonlyMap<string, Handler> = new Map([
    entry(Activities.preflight, PreflightInputSchema, (deps, input) => preflight(deps, input)),
    entry(Activities.createCredential, CreateInputSchema, createCredential),
    entry(Activities.verifyCredential, VerifyInputSchema, (deps, input) => verifyCredential(deps, input)),
    entry(Activities.discardCredential, DiscardInputSchema, (deps, input) => discardCredential(deps, input)),
    entry(Activities.publishCredential, PublishInputSchema, (deps, input) => publishCredential(deps, input)),
    entry(Activities.refreshConsumer, RefreshInputSchema, (deps, input) => refreshConsumer(deps, input)),
    entry(Activities.confirmSwitch, UsageInputSchema, (deps, input) => checkUsage(deps, input)),
    entry(Activities.checkUsage, UsageInputSchema, (deps, input) => checkUsage(deps, input)),
    entry(Activities.deleteOldCredential, DeleteOldInputSchema, (deps, input) => deleteOldCredential(deps, input)),
    entry(Activities.notify, NotifyInputSchema, (deps, input) => notify(deps, input)),
]);
