import { type EvidenceItem } from '../domain/evidence';
import { type Finding, type RotationPlan } from '../rotation/contracts';
import { type LifecycleEvent } from '../rotation/ports';

export type StepName =
    'preflight' | 'create' | 'verifyNew' | 'publish' | 'refresh' | 'confirm' | 'grace' | 'usageGate' | 'deleteOld';

export type StepState = 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped';

export interface StepRecord {
    readonly name: StepName;
    readonly state: StepState;
    readonly at: string;
    readonly detail: string;
}

export type RotationStatus = 'Running' | 'Completed' | 'AttentionRequired' | 'Failed' | 'DryRun';

/** What the orchestration shows in its custom status and returns as output: references and evidence only. */
export interface RotationRecord {
    readonly rotationId: string;
    readonly vaultUrl: string;
    readonly secretName: string;
    status: RotationStatus;
    appId: string | null;
    oldKeyId: string | null;
    newKeyId: string | null;
    oldFingerprint: string | null;
    newFingerprint: string | null;
    newSecretVersion: string | null;
    reason: { code: string; message: string } | null;
    findings: Finding[];
    /** The preflight plan's policy numbers and consumers (all references); kept for dry runs and audits. */
    plan: PlanSummary | null;
    steps: StepRecord[];
    /** What each evidence source showed (probes, sign-in log, operator, …): the case for deleting the old key. */
    evidence: EvidenceItem[];
    /** An operator action the rotation waits for, offered until `until` (release 2 and later). */
    awaiting?: { action: 'acceptNoEvidence'; until: string } | null;
    /** The operator's acceptance of "no evidence" for this rotation: who, when, why (release 2 and later). */
    waiver?: {
        by: { objectId: string | null; appId: string | null; name: string | null };
        at: string;
        reason: string;
    } | null;
}

export type PlanSummary = Pick<
    RotationPlan,
    | 'appObjectId'
    | 'appDisplayName'
    | 'oldKeyPresent'
    | 'oldEndDateTime'
    | 'newCredential'
    | 'gracePeriodDays'
    | 'usageGate'
> & { consumers: string[] };

/** Builds the step timeline and the lifecycle events; pure, so it replays identically. */
export class Timeline {
    readonly record: RotationRecord;
    #events = 0;

    constructor(rotationId: string, vaultUrl: string, secretName: string) {
        this.record = {
            rotationId,
            vaultUrl,
            secretName,
            status: 'Running',
            appId: null,
            oldKeyId: null,
            newKeyId: null,
            oldFingerprint: null,
            newFingerprint: null,
            newSecretVersion: null,
            reason: null,
            findings: [],
            plan: null,
            steps: [],
            evidence: [],
        };
    }

    /** Records a step's new state; a step appears once, updated in place. */
    mark(name: StepName, state: StepState, at: Date, detail = ''): void {
        const entry: StepRecord = { name, state, at: at.toISOString(), detail };
        const index = this.record.steps.findIndex((s) => s.name === name);
        if (index >= 0) this.record.steps[index] = entry;
        else this.record.steps.push(entry);
    }

    /** A CloudEvent payload with an id that is the same on every replay and every activity retry. */
    event(
        type: string,
        at: Date,
        extra: Readonly<Record<string, string | number | boolean | null>> = {},
    ): LifecycleEvent {
        this.#events += 1;
        const r = this.record;
        return {
            id: `${r.rotationId}:${this.#events}`,
            type,
            subject: `${r.vaultUrl}/secrets/${r.secretName}`,
            time: at.toISOString(),
            data: {
                rotationId: r.rotationId,
                vaultUrl: r.vaultUrl,
                secretName: r.secretName,
                appId: r.appId,
                oldKeyId: r.oldKeyId,
                newKeyId: r.newKeyId,
                oldFingerprint: r.oldFingerprint,
                newFingerprint: r.newFingerprint,
                status: r.status,
                ...extra,
            },
        };
    }

    snapshot(): RotationRecord {
        return {
            ...this.record,
            findings: [...this.record.findings],
            steps: this.record.steps.map((s) => ({ ...s })),
            evidence: this.record.evidence.map((e) => ({ ...e })),
        };
    }
}
