import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { writePrivateFile } from './ownerOnly';

import { type ServiceName } from './contract';

export interface PersistedState {
    readonly version: 1;
    readonly clockOffsetSeconds: number;
    readonly services: Partial<Record<ServiceName, unknown>>;
}

/**
 * Optional persistence: the whole sandbox as one JSON file in the state directory, written shortly after a
 * mutation (debounced) and on close, atomically via rename so a crash never leaves half a file.
 */
export class StateFile {
    private timer: NodeJS.Timeout | undefined;
    private readonly path: string;

    constructor(
        stateDir: string,
        private readonly collect: () => PersistedState,
    ) {
        this.path = join(stateDir, 'state.json');
    }

    load(): PersistedState | undefined {
        if (!existsSync(this.path)) return undefined;
        const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<PersistedState>;
        return parsed.version === 1 ? (parsed as PersistedState) : undefined;
    }

    markDirty(): void {
        if (this.timer) return;
        this.timer = setTimeout(() => {
            this.timer = undefined;
            this.flush();
        }, 250);
        this.timer.unref();
    }

    flush(): void {
        if (this.timer) {
            clearTimeout(this.timer);
            this.timer = undefined;
        }
        // Every Key Vault value is in here: owner-only.
        writePrivateFile(this.path, JSON.stringify(this.collect()));
    }
}
