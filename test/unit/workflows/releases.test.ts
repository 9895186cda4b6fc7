import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import {
    isRotationOrchestration,
    Orchestrations,
    ROTATION_ORCHESTRATOR_RELEASES,
} from '../../../shared/rotation/names';
import { rotationOrchestrators } from '../../../shared/workflows/releases';

/** Names that shipped. Instances of them may sleep in grace for weeks: never drop one from the app. */
const SHIPPED = ['rotateCredential', 'rotateCredential_v2'];

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

    it('a frozen release is never edited (its instances replay with exactly this code)', () => {
        const frozen = readFileSync(path.join(__dirname, '../../../shared/workflows/rotateCredentialRelease1.ts'));
        expect(createHash('sha256').update(frozen).digest('hex')).toBe(FROZEN_RELEASE_1_SHA256);
    });
});

const FROZEN_RELEASE_1_SHA256 = 'd53aa1afce39399d012f4a95bc96853b563861c7b2857b643d5c2654fb04a6e3';
