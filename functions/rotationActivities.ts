import { type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { type z } from 'zod';

import { getServices } from '../shared/composition';
import { invocationLogger, type Logger } from '../shared/logging/logger';
import { createCredential } from '../shared/rotation/activities/createCredential';
import { checkUsage, deleteOldCredential, notify, refreshConsumer } from '../shared/rotation/activities/observe';
import { preflight } from '../shared/rotation/activities/preflight';
import { publishCredential } from '../shared/rotation/activities/publishCredential';
import { discardCredential, verifyCredential } from '../shared/rotation/activities/verifyCredential';
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
} from '../shared/rotation/contracts';
import { type RotationDeps } from '../shared/rotation/deps';
import { Activities } from '../shared/rotation/names';

/** Registers an activity: validate input, build dependencies once, run the use-case. Nothing else. */
function register<S extends z.ZodType, R>(
    name: string,
    schema: S,
    run: (deps: RotationDeps, input: z.output<S>, log: Logger) => Promise<R>,
): void {
    df.app.activity(name, {
        handler: async (raw: unknown, context: InvocationContext): Promise<R> => {
            const input = parseActivityInput(schema, raw, name);
            const { rotation } = await getServices();
            return run(rotation, input, invocationLogger(context));
        },
    });
}

register(Activities.preflight, PreflightInputSchema, (deps, input) => preflight(deps, input));
register(Activities.createCredential, CreateInputSchema, createCredential);
register(Activities.verifyCredential, VerifyInputSchema, (deps, input) => verifyCredential(deps, input));
register(Activities.discardCredential, DiscardInputSchema, (deps, input) => discardCredential(deps, input));
register(Activities.publishCredential, PublishInputSchema, (deps, input) => publishCredential(deps, input));
register(Activities.refreshConsumer, RefreshInputSchema, (deps, input) => refreshConsumer(deps, input));
register(Activities.confirmSwitch, UsageInputSchema, (deps, input) => checkUsage(deps, input));
register(Activities.checkUsage, UsageInputSchema, (deps, input) => checkUsage(deps, input));
register(Activities.deleteOldCredential, DeleteOldInputSchema, (deps, input) => deleteOldCredential(deps, input));
register(Activities.notify, NotifyInputSchema, (deps, input) => notify(deps, input));
