import { z } from 'zod';

import { type Actor, type Binding, type BindingRequest, type BindingStore } from '../enrollment/bindings';
import { tagDisagreement } from '../enrollment/bindings';
import { isPendingSecretName, isValidSecretName, normalizeVaultUrl } from '../rotation/markers';
import { type AppCredentialsPort, type AppOwnershipPort } from '../rotation/ports';
import { type ManagedSecretIndexPort } from '../scan/ports';
import { type AuthResult, type OperatorRole, OperatorRoles } from './operatorAuth';
import { type ApiRequest, type ApiResponse, apiError, intParam, parseJsonBody } from './rotationsApi';

/**
 * The enrollment API: the only way a secret becomes managed. Reading needs Rotation.Read; enrolling, unenrolling
 * and importing need Rotation.Admin. Every change is checked first (the key exists on the application, the
 * rotator owns the application, the secret's tags do not contradict) and recorded with who and why.
 */
export interface BindingsApiDeps {
    readonly authorize: (authorization: string | null, role: OperatorRole) => Promise<AuthResult>;
    readonly bindings: Pick<BindingStore, 'list' | 'history' | 'find' | 'enroll' | 'unenroll'>;
    readonly index: ManagedSecretIndexPort;
    readonly applications: Pick<AppCredentialsPort, 'getApplicationByAppId'>;
    readonly ownership: AppOwnershipPort;
    readonly vaultUrls: readonly string[];
    readonly defaultVaultUrl: string;
    readonly now: () => Promise<Date>;
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const secretName = z
    .string()
    .refine(isValidSecretName, 'must be a Key Vault secret name (1-127 letters, digits, dashes)')
    .refine((n) => !isPendingSecretName(n), 'names ending in --rotation-pending are reserved for rotation stashes');
const reason = z.string().trim().min(1, 'say why (it is kept in the enrollment history)').max(500);
const vaultUrl = z.url({ protocol: /^https$/ }).optional();

const EnrollBody = z
    .object({
        secretName,
        appId: z.string().regex(GUID, 'must be an application (client) id'),
        keyId: z.string().regex(GUID, 'must be the keyId of one of the application password credentials'),
        reason,
        vaultUrl,
    })
    .strict();

const ImportBody = z.object({ dryRun: z.boolean().default(true), reason, vaultUrl }).strict();

const UnenrollQuery = z.object({ reason, vaultUrl }).strict();

const MAX_PAGE = 100;

export function bindingView(b: Binding): Record<string, unknown> {
    return {
        vaultUrl: b.vaultUrl,
        secretName: b.secretName,
        appId: b.appId,
        keyId: b.keyId,
        enrolledAt: b.enrolledAt,
        enrolledBy: b.enrolledBy,
        reason: b.reason,
        updatedAt: b.updatedAt,
        lastRotationId: b.lastRotationId,
        nextKeyId: b.nextKeyId ?? null,
    };
}

/** GET /api/bindings?top=&skip= */
export async function listBindingsRoute(deps: BindingsApiDeps, request: ApiRequest): Promise<ApiResponse> {
    const auth = await deps.authorize(request.authorization, OperatorRoles.read);
    if (!auth.ok) return apiError(auth.status, auth.code, auth.message);
    const page = paging(request);
    if (!page) return apiError(400, 'invalid_request', `top must be 1-${MAX_PAGE}, skip >= 0`);
    const all = [...(await deps.bindings.list())].sort(
        (a, b) => a.vaultUrl.localeCompare(b.vaultUrl) || a.secretName.localeCompare(b.secretName),
    );
    return pageOf(all.map(bindingView), page, '/api/bindings');
}

/** GET /api/bindings/history?top=&skip= : newest first. */
export async function bindingHistoryRoute(deps: BindingsApiDeps, request: ApiRequest): Promise<ApiResponse> {
    const auth = await deps.authorize(request.authorization, OperatorRoles.read);
    if (!auth.ok) return apiError(auth.status, auth.code, auth.message);
    const page = paging(request);
    if (!page) return apiError(400, 'invalid_request', `top must be 1-${MAX_PAGE}, skip >= 0`);
    return pageOf([...(await deps.bindings.history())].reverse(), page, '/api/bindings/history');
}

/** POST /api/bindings {secretName, appId, keyId, reason, vaultUrl?}: 201 enrolled, 200 unchanged, 409 conflict. */
export async function enrollRoute(deps: BindingsApiDeps, request: ApiRequest): Promise<ApiResponse> {
    const auth = await deps.authorize(request.authorization, OperatorRoles.admin);
    if (!auth.ok) return apiError(auth.status, auth.code, auth.message);
    const body = await parseJsonBody(request, EnrollBody);
    if (!body.ok) return body.response;
    const parsed = body.data;
    const vault = resolveVault(deps, parsed.vaultUrl);
    if (!vault) return apiError(400, 'invalid_request', 'vaultUrl is not one of the vaults this rotator manages');
    const target: BindingRequest = {
        vaultUrl: vault,
        secretName: parsed.secretName,
        appId: parsed.appId,
        keyId: parsed.keyId,
    };
    const refused = await checkEnrollable(deps, target);
    if (refused) return refused;
    const result = await deps.bindings.enroll(target, actorOf(auth), parsed.reason, await deps.now());
    if (result.outcome === 'conflict') {
        return {
            status: 409,
            jsonBody: {
                error: { code: 'already_enrolled', message: result.message },
                binding: bindingView(result.existing),
            },
        };
    }
    return {
        status: result.outcome === 'enrolled' ? 201 : 200,
        jsonBody: {
            binding: bindingView(result.binding),
            ...(result.outcome === 'unchanged' ? { unchanged: true } : {}),
        },
    };
}

/** DELETE /api/bindings/{secretName}?reason=&vaultUrl= : 200 with the removed binding, 404 when not enrolled. */
export async function unenrollRoute(deps: BindingsApiDeps, request: ApiRequest): Promise<ApiResponse> {
    const auth = await deps.authorize(request.authorization, OperatorRoles.admin);
    if (!auth.ok) return apiError(auth.status, auth.code, auth.message);
    const name = request.params.secretName ?? '';
    if (!isValidSecretName(name))
        return apiError(400, 'invalid_request', 'secretName: must be a Key Vault secret name');
    const query = UnenrollQuery.safeParse(Object.fromEntries(request.query.entries()));
    if (!query.success) return apiError(400, 'invalid_request', problems(query.error));
    if (new Set(request.query.keys()).size !== [...request.query.keys()].length)
        return apiError(400, 'invalid_request', 'each query parameter may appear once');
    const vault = resolveVault(deps, query.data.vaultUrl);
    if (!vault) return apiError(400, 'invalid_request', 'vaultUrl is not one of the vaults this rotator manages');
    const removed = await deps.bindings.unenroll(vault, name, actorOf(auth), query.data.reason, await deps.now());
    if (!removed) return apiError(404, 'not_enrolled', `secret ${name} is not enrolled in ${vault}`);
    return { status: 200, jsonBody: { binding: bindingView(removed), unenrolled: true } };
}

type ImportItem = {
    vaultUrl: string;
    secretName: string;
    appId: string;
    keyId: string;
    outcome: 'wouldEnroll' | 'enrolled' | 'alreadyEnrolled' | 'refused';
    detail: string;
};

/**
 * POST /api/bindings/import {dryRun = true, reason, vaultUrl?}: one-time move of today's tagged secrets to
 * enrollment, with the same checks as one enrollment. A dry run (the default) says what would happen.
 */
export async function importRoute(deps: BindingsApiDeps, request: ApiRequest): Promise<ApiResponse> {
    const auth = await deps.authorize(request.authorization, OperatorRoles.admin);
    if (!auth.ok) return apiError(auth.status, auth.code, auth.message);
    const body = await parseJsonBody(request, ImportBody);
    if (!body.ok) return body.response;
    const parsed = body.data;
    let vaults = deps.vaultUrls.map(normalizeVaultUrl);
    if (parsed.vaultUrl !== undefined) {
        const vault = resolveVault(deps, parsed.vaultUrl);
        if (!vault) return apiError(400, 'invalid_request', 'vaultUrl is not one of the vaults this rotator manages');
        vaults = [vault];
    }
    const items: ImportItem[] = [];
    const actor = actorOf(auth);
    for (const ref of await deps.index.listManaged(vaults)) {
        const target: BindingRequest = {
            vaultUrl: ref.vaultUrl,
            secretName: ref.secretName,
            appId: ref.appId,
            keyId: ref.keyId,
        };
        const item = { ...target, vaultUrl: normalizeVaultUrl(ref.vaultUrl) };
        if (!GUID.test(ref.appId) || !GUID.test(ref.keyId)) {
            items.push({ ...item, outcome: 'refused', detail: 'the tags do not hold an application id and key id' });
            continue;
        }
        const refused = await checkEnrollable(deps, target);
        if (refused) {
            const error = (refused.jsonBody as { error: { code: string; message: string } }).error;
            items.push({ ...item, outcome: 'refused', detail: `${error.code}: ${error.message}` });
            continue;
        }
        if (parsed.dryRun) {
            const existing = await deps.bindings.find(target.vaultUrl, target.secretName);
            items.push(
                existing
                    ? { ...item, outcome: 'alreadyEnrolled', detail: `enrolled for key ${existing.keyId}` }
                    : {
                          ...item,
                          outcome: 'wouldEnroll',
                          detail: 'the key exists on the application and the rotator owns it',
                      },
            );
            continue;
        }
        const result = await deps.bindings.enroll(target, actor, `import: ${parsed.reason}`, await deps.now());
        items.push(
            result.outcome === 'conflict'
                ? { ...item, outcome: 'refused', detail: result.message }
                : result.outcome === 'unchanged'
                  ? { ...item, outcome: 'alreadyEnrolled', detail: 'already enrolled' }
                  : { ...item, outcome: 'enrolled', detail: 'enrolled' },
        );
    }
    const count = (o: ImportItem['outcome']): number => items.filter((i) => i.outcome === o).length;
    return {
        status: 200,
        jsonBody: {
            dryRun: parsed.dryRun,
            counts: {
                wouldEnroll: count('wouldEnroll'),
                enrolled: count('enrolled'),
                alreadyEnrolled: count('alreadyEnrolled'),
                refused: count('refused'),
            },
            items,
        },
    };
}

/** The checks every enrollment passes before anything is written. Undefined: fine. */
async function checkEnrollable(deps: BindingsApiDeps, target: BindingRequest): Promise<ApiResponse | undefined> {
    const secret = await deps.index.current(target.vaultUrl, target.secretName);
    if (!secret) return apiError(404, 'not_found', `secret ${target.secretName} does not exist in ${target.vaultUrl}`);
    const tags = tagDisagreement(target, secret.tags);
    if (tags) return apiError(409, 'binding_mismatch', `the secret's tags contradict this enrollment: ${tags}`);
    const app = await deps.applications.getApplicationByAppId(target.appId);
    if (!app) return apiError(422, 'app_not_found', `application ${target.appId} does not exist`);
    if (!app.passwordCredentials.some((c) => c.keyId.toLowerCase() === target.keyId.toLowerCase()))
        return apiError(422, 'key_not_found', `application ${target.appId} has no password credential ${target.keyId}`);
    if (!(await deps.ownership.ownedByRotator(app.objectId)))
        return apiError(
            422,
            'not_owner',
            `the rotator is not an owner of application ${target.appId}; add its service principal as an owner first`,
        );
    return undefined;
}

function actorOf(auth: Extract<AuthResult, { ok: true }>): Actor {
    return {
        kind: 'operator',
        objectId: auth.caller.objectId ?? null,
        appId: auth.caller.appId ?? null,
        name: auth.caller.name ?? null,
    };
}

function resolveVault(deps: BindingsApiDeps, raw: string | undefined): string | undefined {
    const vault = normalizeVaultUrl(raw ?? deps.defaultVaultUrl);
    return deps.vaultUrls.some((u) => normalizeVaultUrl(u) === vault) ? vault : undefined;
}

function problems(error: z.ZodError): string {
    return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

function paging(request: ApiRequest): { top: number; skip: number } | undefined {
    const top = intParam(request.query.get('top'), 50, 1, MAX_PAGE);
    const skip = intParam(request.query.get('skip'), 0, 0, 1_000_000);
    return top === undefined || skip === undefined ? undefined : { top, skip };
}

function pageOf(all: readonly unknown[], page: { top: number; skip: number }, path: string): ApiResponse {
    const more = page.skip + page.top < all.length;
    return {
        status: 200,
        jsonBody: {
            items: all.slice(page.skip, page.skip + page.top),
            total: all.length,
            ...(more ? { nextLink: `${path}?top=${page.top}&skip=${page.skip + page.top}` } : {}),
        },
    };
}
