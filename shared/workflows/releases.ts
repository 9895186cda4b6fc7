import { type RotationOrchestratorName } from '../rotation/names';
import { rotateCredential } from './rotateCredential';
import { rotateCredentialRelease1 } from './rotateCredentialRelease1';

/**
 * The code of every released rotation orchestrator, by the name it was released under (see
 * `ROTATION_ORCHESTRATOR_RELEASES`). To change the step sequence: freeze the current generator under its name
 * (copy it, e.g. `rotateCredentialRelease1`), put the changed one under a new name, and append that name.
 */
export const rotationOrchestrators: Readonly<Record<RotationOrchestratorName, typeof rotateCredential>> = {
    rotateCredential: rotateCredentialRelease1,
    rotateCredential_v2: rotateCredential,
};
