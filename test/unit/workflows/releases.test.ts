import { describe, expect, it } from 'vitest';

import {
    isRotationOrchestration,
    Orchestrations,
    ROTATION_ORCHESTRATOR_RELEASES,
} from '../../../shared/rotation/names';
import { rotationOrchestrators } from '../../../shared/workflows/releases';

/** Names that shipped. Instances of them may sleep in grace for weeks: never drop one from the app. */
const SHIPPED = ['rotateCredential'];

describe('rotation orchestrator releases', () => {
    it('every shipped name is still released, registered with code, and recognised as a rotation', () => {
        expect(ROTATION_ORCHESTRATOR_RELEASES).toEqual(expect.arrayContaining(SHIPPED));
        for (const name of ROTATION_ORCHESTRATOR_RELEASES) {
            expect(typeof rotationOrchestrators[name]).toBe('function');
            expect(isRotationOrchestration(name)).toBe(true);
        }
        expect(isRotationOrchestration('somethingElse')).toBe(false);
    });

    it('new rotations start with the latest release', () => {
        expect(Orchestrations.rotateCredential).toBe(ROTATION_ORCHESTRATOR_RELEASES.at(-1));
    });
});
