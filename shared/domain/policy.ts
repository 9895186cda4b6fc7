import { inputError } from '../errors/RotatorError';
import { addDays } from './time';

/**
 * Rotation policy. Defaults follow seed 004 (30/7-day alerts, dual secrets with grace) and the tenant
 * limits in the reference docs (app-management policy `maxLifetime`, per-app credential counts).
 */
export interface RotationPolicy {
    /** Rotate this many days before the credential's end date. */
    readonly rotateBeforeDays: number;
    /** Alert when fewer than or exactly this many days remain; kept sorted, largest first. */
    readonly alertThresholdDays: readonly number[];
    /** How long the old credential stays valid after consumers switched. */
    readonly gracePeriodDays: number;
    /** Requested lifetime of a new credential. */
    readonly newCredentialLifetimeDays: number;
    /** The tenant's app-management policy maximum, when one applies. */
    readonly maxCredentialLifetimeDays: number | undefined;
    /** Most password credentials an app may hold at once (the rotation temporarily needs one extra). */
    readonly maxCredentialsPerApp: number;
}

export const DEFAULT_POLICY: RotationPolicy = Object.freeze({
    rotateBeforeDays: 30,
    alertThresholdDays: Object.freeze([30, 7]),
    gracePeriodDays: 7,
    newCredentialLifetimeDays: 180,
    maxCredentialLifetimeDays: undefined,
    maxCredentialsPerApp: 5,
});

/** Per-credential overrides, carried as Key Vault tags on the managed secret. */
export const PolicyOverrideTags = {
    rotateBeforeDays: 'rotate-before-days',
    gracePeriodDays: 'grace-days',
    newCredentialLifetimeDays: 'lifetime-days',
} as const;

export interface PolicyFinding {
    readonly setting: string;
    readonly problem: string;
}

/**
 * Builds a policy and rejects combinations that would misbehave: a lifetime not longer than the rotate
 * window would make every new credential due at once, an endless rotation loop.
 */
export function createPolicy(partial: Partial<RotationPolicy> = {}): RotationPolicy {
    const policy: RotationPolicy = {
        ...DEFAULT_POLICY,
        ...partial,
        alertThresholdDays: normalizeThresholds(partial.alertThresholdDays ?? DEFAULT_POLICY.alertThresholdDays),
    };
    const findings = validatePolicy(policy);
    if (findings.length > 0) {
        throw inputError(`invalid rotation policy: ${findings.map((f) => `${f.setting} ${f.problem}`).join('; ')}`);
    }
    return Object.freeze(policy);
}

export function validatePolicy(policy: RotationPolicy): PolicyFinding[] {
    const findings: PolicyFinding[] = [];
    // Upper bounds match the app-setting schema; tag overrides must not escape them (a huge lifetime
    // makes an end date that `Date` cannot represent).
    const intIn = (setting: keyof RotationPolicy, value: number, min: number, max: number): void => {
        if (!Number.isInteger(value) || value < min || value > max)
            findings.push({ setting, problem: `must be an integer from ${min} to ${max}` });
    };
    intIn('rotateBeforeDays', policy.rotateBeforeDays, 1, 365);
    intIn('gracePeriodDays', policy.gracePeriodDays, 0, 365);
    intIn('newCredentialLifetimeDays', policy.newCredentialLifetimeDays, 1, 3650);
    intIn('maxCredentialsPerApp', policy.maxCredentialsPerApp, 2, 100);
    if (policy.maxCredentialLifetimeDays !== undefined) {
        intIn('maxCredentialLifetimeDays', policy.maxCredentialLifetimeDays, 1, 3650);
    }
    if (policy.alertThresholdDays.some((d) => !Number.isInteger(d) || d < 1 || d > 365)) {
        findings.push({ setting: 'alertThresholdDays', problem: 'must be integers from 1 to 365' });
    }
    if (effectiveLifetimeDays(policy) <= policy.rotateBeforeDays) {
        findings.push({
            setting: 'newCredentialLifetimeDays',
            problem: 'the (clamped) lifetime must exceed rotateBeforeDays, or every new credential is due at once',
        });
    }
    return findings;
}

function normalizeThresholds(days: readonly number[]): readonly number[] {
    return Object.freeze([...new Set(days)].sort((a, b) => b - a));
}

/** The lifetime a new credential gets: the requested one, clamped to the tenant maximum. */
export function effectiveLifetimeDays(policy: RotationPolicy): number {
    const max = policy.maxCredentialLifetimeDays;
    return max === undefined ? policy.newCredentialLifetimeDays : Math.min(policy.newCredentialLifetimeDays, max);
}

export interface CredentialWindow {
    readonly startDateTime: string;
    readonly endDateTime: string;
    readonly lifetimeDays: number;
    /** The requested lifetime was cut to the tenant maximum. */
    readonly clamped: boolean;
}

/** Start and end of a credential created at `now`. */
export function newCredentialWindow(now: Date, policy: RotationPolicy): CredentialWindow {
    const lifetimeDays = effectiveLifetimeDays(policy);
    return {
        startDateTime: now.toISOString(),
        endDateTime: addDays(now, lifetimeDays).toISOString(),
        lifetimeDays,
        clamped: lifetimeDays < policy.newCredentialLifetimeDays,
    };
}

/**
 * Applies per-credential tag overrides. Bad tag values are reported and ignored (the default stays),
 * so one mistyped tag cannot stop a credential from being rotated before it expires.
 */
export function applyOverrides(
    base: RotationPolicy,
    tags: Readonly<Record<string, string | undefined>>,
): { policy: RotationPolicy; findings: PolicyFinding[] } {
    const findings: PolicyFinding[] = [];
    const overrides: { -readonly [K in keyof RotationPolicy]?: RotationPolicy[K] } = {};
    for (const [field, tag] of Object.entries(PolicyOverrideTags) as [keyof typeof PolicyOverrideTags, string][]) {
        const raw = tags[tag];
        if (raw === undefined) continue;
        const value = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
        if (Number.isNaN(value)) {
            findings.push({ setting: tag, problem: 'is not a whole number of days; ignored' });
            continue;
        }
        overrides[field] = value;
    }
    const candidate: RotationPolicy = { ...base, ...overrides };
    const problems = validatePolicy(candidate);
    if (problems.length > 0) {
        return {
            policy: base,
            findings: [...findings, ...problems.map((p) => ({ ...p, problem: `${p.problem}; overrides ignored` }))],
        };
    }
    return { policy: Object.freeze(candidate), findings };
}

export interface CapacityCheck {
    readonly ok: boolean;
    readonly current: number;
    readonly limit: number;
}

/** A rotation adds one credential before it removes the old one, so it needs one free slot. */
export function checkCapacity(currentPasswordCredentials: number, policy: RotationPolicy): CapacityCheck {
    return {
        ok: currentPasswordCredentials < policy.maxCredentialsPerApp,
        current: currentPasswordCredentials,
        limit: policy.maxCredentialsPerApp,
    };
}

/**
 * The `rotate-before-days` tag of a managed secret, when it is a valid override of `base` (the same rules as
 * `applyOverrides`); undefined otherwise, so a bad tag leaves the default window in force.
 */
export function rotateBeforeOverride(
    base: RotationPolicy,
    tags: Readonly<Record<string, string | undefined>>,
): number | undefined {
    const raw = tags[PolicyOverrideTags.rotateBeforeDays];
    if (raw === undefined) return undefined;
    const { policy, findings } = applyOverrides(base, { [PolicyOverrideTags.rotateBeforeDays]: raw });
    return findings.length === 0 ? policy.rotateBeforeDays : undefined;
}
