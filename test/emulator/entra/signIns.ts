import { newGuid } from '../core/ids';

/** A service-principal sign-in as `/beta/auditLogs/signIns` returns it (api-fidelity §1.8). */
export interface SignInRecord {
    id: string;
    createdDateTime: string;
    appId: string;
    appDisplayName: string | null;
    servicePrincipalId: string | null;
    servicePrincipalName: string | null;
    resourceId: string | null;
    resourceDisplayName: string | null;
    clientCredentialType: 'clientSecret' | 'clientAssertion' | 'none';
    servicePrincipalCredentialKeyId: string | null;
    servicePrincipalCredentialThumbprint: string | null;
    correlationId: string;
    ipAddress: string;
    isInteractive: false;
    signInEventTypes: string[];
    status: { errorCode: number; failureReason: string | null; additionalDetails: string | null };
    /** Emulator-clock ms at which the entry becomes visible (ingestion latency); not part of the resource. */
    visibleAtMs: number;
}

export type SignInInput = Omit<
    SignInRecord,
    'id' | 'createdDateTime' | 'visibleAtMs' | 'isInteractive' | 'signInEventTypes' | 'ipAddress'
>;

/** Append-only sign-in log, newest first on read, with a configurable ingestion latency. */
export class SignInLog {
    private entries: SignInRecord[] = [];

    record(now: Date, ingestionLatencySeconds: number, input: SignInInput): SignInRecord {
        const entry: SignInRecord = {
            id: newGuid(),
            createdDateTime: now.toISOString(),
            ipAddress: '127.0.0.1',
            isInteractive: false,
            signInEventTypes: ['servicePrincipal'],
            ...input,
            visibleAtMs: now.getTime() + ingestionLatencySeconds * 1000,
        };
        this.entries.push(entry);
        return entry;
    }

    /** Entries already ingested at `now`, newest first. */
    visible(now: Date): SignInRecord[] {
        const nowMs = now.getTime();
        return this.entries.filter((entry) => entry.visibleAtMs <= nowMs).reverse();
    }

    all(): readonly SignInRecord[] {
        return this.entries;
    }

    clear(): void {
        this.entries = [];
    }

    restore(entries: SignInRecord[]): void {
        this.entries = [...entries];
    }
}

/** Strips emulator bookkeeping from a record before it goes on the wire. */
export function signInView(record: SignInRecord): object {
    const { visibleAtMs: _visibleAtMs, ...view } = record;
    return view;
}
