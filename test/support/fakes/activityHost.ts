import { type Logger } from '../../../shared/logging/logger';
import { rotationActivities } from '../../../shared/rotation/activities/table';
import { type RotationDeps } from '../../../shared/rotation/deps';

type Handler = (deps: RotationDeps, raw: unknown, log: Logger) => Promise<unknown>;

/**
 * The activity table as the function app registers it (validate the input, run the use-case), so the
 * orchestrator tests run the real use-cases against the fakes.
 */
export const activityHandlers: ReadonlyMap<string, Handler> = rotationActivities;
