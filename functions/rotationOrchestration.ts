import * as df from 'durable-functions';

import { Orchestrations } from '../shared/rotation/names';
import { rotateCredential } from '../shared/workflows/rotateCredential';

df.app.orchestration(Orchestrations.rotateCredential, rotateCredential);
