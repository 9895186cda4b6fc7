import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { type EmulatorDescriptor } from './emulatorClient';
import { type SeededTenant } from './seedTenant';

export class NoSandboxError extends Error {}

/** What a running (or stopped) `npm start` sandbox left in its state folder: the emulator and the seeded tenant. */
export function readSandboxState(stateDir: string): { descriptor: EmulatorDescriptor; tenant: SeededTenant } {
    const dir = join(resolve(stateDir), 'emulator');
    try {
        return {
            descriptor: JSON.parse(readFileSync(join(dir, 'emulator.json'), 'utf8')) as EmulatorDescriptor,
            tenant: JSON.parse(readFileSync(join(dir, 'sandbox-tenant.json'), 'utf8')) as SeededTenant,
        };
    } catch {
        throw new NoSandboxError(`no sandbox state in ${dir}; start one with npm start`);
    }
}
