import { createHash } from 'node:crypto';

import { type StateStorePort } from '../scan/ports';

interface Ledger {
    readonly rotationId: string;
    readonly attempts: number;
}

/**
 * How many times the create step of a secret's current rotation has begun, kept in the state store (one document
 * per secret, replaced by the next rotation: the starter lets one rotation of a secret run at a time).
 *
 * Why: create is at-least-once, and an attempt killed between addPassword and its stash leaves a credential only a
 * read of the application can find. The first attempt of a rotation has nothing to find, so it can skip that
 * Graph read; every later attempt, and any attempt whose ledger cannot be read or written, reads.
 */
export class CreateAttempts {
    constructor(private readonly state: StateStorePort) {}

    /** Records that an attempt begins; true when an earlier attempt of this rotation may have created something. */
    async begin(vaultUrl: string, secretName: string, rotationId: string): Promise<boolean> {
        let earlier = true;
        await this.state.update<Ledger>(ledgerKey(vaultUrl, secretName), (current) => {
            const attempts = current?.rotationId === rotationId ? current.attempts : 0;
            earlier = attempts > 0;
            return { rotationId, attempts: attempts + 1 };
        });
        return earlier;
    }
}

/** A valid state key (lower-case path characters only) for any vault URL and secret name. */
export function ledgerKey(vaultUrl: string, secretName: string): string {
    const id = `${new URL(vaultUrl).host.toLowerCase()}|${secretName.toLowerCase()}`;
    return `create-attempts/${createHash('sha256').update(id, 'utf8').digest('hex').slice(0, 40)}`;
}
