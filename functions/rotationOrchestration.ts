import * as df from 'durable-functions';

import { ROTATION_ORCHESTRATOR_RELEASES } from '../shared/rotation/names';
import { rotationOrchestrators } from '../shared/workflows/releases';

// Every released name stays registered, so instances sleeping in grace replay with the code they started with.
for (const name of ROTATION_ORCHESTRATOR_RELEASES) df.app.orchestration(name, rotationOrchestrators[name]);
