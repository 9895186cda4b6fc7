import { type Credential, type LifecycleState, LifecycleStates, type RotationMark } from './credential';
import { type RotationPolicy } from './policy';
import { daysBetween, parseInstant } from './time';

export interface CredentialAssessment {
    readonly state: LifecycleState;
    /** Days until the end date (negative once expired); fractional. */
    readonly daysRemaining: number;
    readonly expired: boolean;
    /** Inside the rotate window (or expired) and not already being handled. */
    readonly rotationDue: boolean;
    /** When the rotate window opens. */
    readonly rotateAt: string;
    /** The smallest alert threshold already crossed (e.g. 7 once ≤ 7 days remain), if any. */
    readonly alertThresholdDays: number | undefined;
}

const MARK_STATES: Readonly<Record<RotationMark, LifecycleState>> = {
    rotating: LifecycleStates.Rotating,
    grace: LifecycleStates.GracePeriod,
    cleanedUp: LifecycleStates.CleanedUp,
    attentionRequired: LifecycleStates.AttentionRequired,
};

/**
 * Classifies a credential at an instant. Boundaries are inclusive: with exactly 30 days left the
 * 30-day threshold is crossed and a 30-day rotate window is open; at exactly its end date a credential
 * is expired (Entra stops accepting it then).
 *
 * `mark` is what a rotation in flight knows and the clock cannot: it wins over the date-based state.
 */
export function classifyCredential(
    credential: Pick<Credential, 'endDateTime'>,
    now: Date,
    policy: RotationPolicy,
    mark?: RotationMark,
): CredentialAssessment {
    const end = parseInstant(credential.endDateTime);
    if (end === undefined) {
        // A credential whose end we cannot read is treated as needing a human, never as healthy.
        return {
            state: LifecycleStates.AttentionRequired,
            daysRemaining: Number.NaN,
            expired: false,
            rotationDue: false,
            rotateAt: credential.endDateTime,
            alertThresholdDays: undefined,
        };
    }
    const daysRemaining = daysBetween(now, end);
    const expired = daysRemaining <= 0;
    const inRotateWindow = daysRemaining <= policy.rotateBeforeDays;
    const alertThresholdDays = crossedThreshold(daysRemaining, policy.alertThresholdDays);
    const dateState: LifecycleState = expired
        ? LifecycleStates.Expired
        : alertThresholdDays !== undefined || inRotateWindow
          ? LifecycleStates.ExpiringSoon
          : LifecycleStates.Active;
    return {
        state: mark === undefined ? dateState : MARK_STATES[mark],
        daysRemaining,
        expired,
        rotationDue: mark === undefined && inRotateWindow,
        rotateAt: new Date(end.getTime() - policy.rotateBeforeDays * 86_400_000).toISOString(),
        alertThresholdDays,
    };
}

/** Thresholds are sorted largest first; the answer is the smallest one with daysRemaining ≤ it. */
export function crossedThreshold(daysRemaining: number, thresholds: readonly number[]): number | undefined {
    let crossed: number | undefined;
    for (const threshold of thresholds) {
        if (daysRemaining <= threshold && (crossed === undefined || threshold < crossed)) crossed = threshold;
    }
    return crossed;
}
