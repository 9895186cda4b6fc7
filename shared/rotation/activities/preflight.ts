import { tagDisagreement } from '../../enrollment/bindings';
import { ErrorCodes } from '../../errors/errorCodes';
import { applyOverrides, checkCapacity, newCredentialWindow } from '../../domain/policy';
import { fingerprintOf } from '../../security/fingerprint';
import { type Finding, type PreflightInput, type RotationPlan, toConsumerRef } from '../contracts';
import { appServiceFindings } from '../appServiceConsumers';
import { type RotationDeps } from '../deps';
import { stashNameTakenBy } from '../stash';
import { credentialDisplayName, evidenceWaived, ManagedTags, normalizeVaultUrl } from '../markers';

/**
 * Step 1: everything that can be checked before anything changes. The plan it returns is the orchestrator's
 * only source of policy numbers, so replays see the same values even if settings change mid-rotation.
 * Read-only: a dry run is exactly this activity.
 */
export async function preflight(deps: RotationDeps, input: PreflightInput): Promise<RotationPlan> {
    const findings: Finding[] = [];
    const error = (code: string, message: string): void => void findings.push({ severity: 'error', code, message });
    const warn = (code: string, message: string): void => void findings.push({ severity: 'warning', code, message });
    const now = new Date(input.asOf);
    const { settings } = deps;

    const plan: Mutable<RotationPlan> = {
        ok: false,
        findings,
        appId: '',
        appObjectId: '',
        appDisplayName: null,
        oldKeyId: '',
        oldKeyPresent: false,
        oldEndDateTime: null,
        oldFingerprint: null,
        newCredential: { ...newCredentialWindow(now, settings.policy) },
        gracePeriodDays: settings.policy.gracePeriodDays,
        propagationTimeoutSeconds: settings.propagationTimeoutSeconds,
        usageGate: {
            windowMinutes: settings.usageGate.signInLogLatencyMinutes + settings.usageGate.tokenLifetimeMinutes,
            recheckHours: settings.usageGate.recheckHours,
            maxChecks: settings.usageGate.maxChecks,
            latencyMinutes: settings.usageGate.signInLogLatencyMinutes,
            tokenLifetimeMinutes: settings.usageGate.tokenLifetimeMinutes,
        },
        acceptNoEvidence: false,
        consumers: [],
    };

    const vaultUrl = normalizeVaultUrl(input.vaultUrl);
    if (!settings.vaultUrls.some((url) => normalizeVaultUrl(url) === vaultUrl)) {
        error('vault_not_configured', `vault ${vaultUrl} is not one of the vaults this rotator manages`);
        return plan;
    }
    const live = await deps.secrets.getLatest(vaultUrl, input.secretName);
    if (!live) {
        error('not_found', `secret ${input.secretName} does not exist in ${vaultUrl}`);
        return plan;
    }
    // The binding, never the tags, says which credential this secret holds: tags are writable by anyone who can
    // write the secret, and must not steer what the rotator creates.
    const binding = await deps.bindings.find(vaultUrl, input.secretName);
    if (!binding) {
        error('not_enrolled', `secret ${input.secretName} is not enrolled; an operator enrolls it (Rotation.Admin)`);
        return plan;
    }
    const mismatch = tagDisagreement(binding, {
        appId: live.properties.tags[ManagedTags.appId],
        keyId: live.properties.tags[ManagedTags.keyId],
    });
    if (mismatch) {
        error('binding_mismatch', `secret ${input.secretName}: ${mismatch}; refusing to rotate`);
        return plan;
    }
    const { appId, keyId } = binding;
    plan.appId = appId;
    plan.oldKeyId = keyId;
    plan.oldFingerprint = fingerprintOf(live.value);
    if (!live.properties.enabled) warn('secret_disabled', 'the current secret version is disabled');
    const tagged = live.properties.tags[ManagedTags.fingerprint];
    if (tagged !== undefined && tagged !== plan.oldFingerprint) {
        warn('fingerprint_mismatch', 'the secret value changed outside the rotator (fingerprint tag differs)');
    }

    plan.acceptNoEvidence = evidenceWaived(live.properties.tags);
    const { policy, findings: policyFindings } = applyOverrides(settings.policy, live.properties.tags);
    policyFindings.forEach((f) => warn('policy_override_ignored', `${f.setting} ${f.problem}`));
    plan.newCredential = { ...newCredentialWindow(now, policy) };
    plan.gracePeriodDays = policy.gracePeriodDays;
    if (plan.newCredential.clamped) {
        findings.push({
            severity: 'info',
            code: 'lifetime_clamped',
            message: `new credential lifetime clamped to the tenant maximum of ${plan.newCredential.lifetimeDays} days`,
        });
    }

    // One read for the app, its credentials and its owners; the service principal is the only extra read.
    const app = await deps.credentials.getApplicationByAppId(appId, { withOwners: true });
    if (!app) {
        error(
            'app_not_found',
            `application ${appId} was not found; re-enroll the secret with the application it belongs to`,
        );
        return plan;
    }
    plan.appObjectId = app.objectId;
    plan.appDisplayName = app.displayName;
    const old = app.passwordCredentials.find((c) => c.keyId.toLowerCase() === keyId.toLowerCase());
    plan.oldKeyPresent = old !== undefined;
    plan.oldEndDateTime = old?.endDateTime ?? null;
    // A key id that is not on the app would rotate "successfully", delete nothing and leave the real secret valid.
    if (!old) {
        error(
            'key_not_on_app',
            `application ${appId} has no password credential ${keyId}; the secret is bound to a key the app does not ` +
                'have: re-enroll it with the keyId of the credential the secret holds (Graph lists them on the application)',
        );
    }
    // Application.ReadWrite.OwnedBy reads every app but writes only owned ones: without ownership, addPassword
    // would fail only after the rotation started.
    if (!(await deps.ownership.ownedByRotator(app.objectId, app.ownerIds))) {
        error(
            'not_owner',
            `the rotator is not an owner of application ${appId}; add the rotator's service principal as an owner ` +
                '(Entra admin center > App registrations > Owners, or POST /applications/{id}/owners/$ref)',
        );
    }
    // Without a service principal in this tenant nothing can sign in with the app, so the new key cannot be verified.
    if (!(await deps.ownership.hasServicePrincipal(appId))) {
        error(
            'no_service_principal',
            `application ${appId} has no service principal in this tenant; create one ` +
                `(POST /servicePrincipals {"appId":"${appId}"} or az ad sp create --id ${appId})`,
        );
    }

    // Our own leftovers from this rotation are removed before adding, so they do not count against the limit.
    const marker = credentialDisplayName(input.rotationId);
    const counted = app.passwordCredentials.filter((c) => c.displayName !== marker).length;
    const capacity = checkCapacity(counted, policy);
    if (!capacity.ok) {
        error(
            'credential_limit_reached',
            `application holds ${capacity.current} client secrets (limit ${capacity.limit}); remove an unused one first`,
        );
    }
    // The stash name must be ours or free, soft-deleted included: we never recover, overwrite, delete or purge
    // a secret somebody else created.
    const taken = await stashNameTakenBy(deps.secrets, vaultUrl, input.secretName);
    if (taken) error(ErrorCodes.stashNameTaken, taken);
    plan.consumers = deps.consumers.consumersFor(vaultUrl, input.secretName).map(toConsumerRef);
    if (plan.consumers.length === 0) {
        warn('no_consumers', 'no consumers are configured; switching is confirmed from sign-in logs only');
    }
    findings.push(...(await checkAppServiceConsumers(deps, vaultUrl, input.secretName)));
    plan.ok = !findings.some((f) => f.severity === 'error');
    return plan;
}

/** Version-pinned App Service references to the secret block the rotation (seed 000); see appServiceConsumers. */
async function checkAppServiceConsumers(deps: RotationDeps, vaultUrl: string, secretName: string): Promise<Finding[]> {
    const scopes = deps.settings.appServiceDiscoveryScopes ?? [];
    const declared = deps.consumers.consumersFor(vaultUrl, secretName).some((c) => c.type === 'appService');
    if (!declared && scopes.length === 0) return [];
    if (!deps.appService) {
        return [
            {
                severity: 'error',
                code: 'consumer_unreadable',
                message: 'App Service consumers are configured but no Resource Manager client is available',
            },
        ];
    }
    return appServiceFindings(deps.appService, deps.consumers, vaultUrl, secretName, scopes);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
