import { type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { getServices } from '../shared/composition';
import { invocationLogger } from '../shared/logging/logger';
import { rotationActivities } from '../shared/rotation/activities/table';

// Thin registration: the table validates each input and runs its use-case with the composed dependencies.
for (const [name, handler] of rotationActivities) {
    df.app.activity(name, {
        handler: async (raw: unknown, context: InvocationContext): Promise<unknown> => {
            const { rotation } = await getServices();
            return handler(rotation, raw, invocationLogger(context));
        },
    });
}
