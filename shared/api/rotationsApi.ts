import { type DurableClient, type DurableOrchestrationStatus, OrchestrationRuntimeStatus } from 'durable-functions';
import { z } from 'zod';

import { type Binding } from '../enrollment/bindings';
import { bindingMismatchEvent, checkBinding } from '../enrollment/gate';
import { type RotationInput } from '../rotation/contracts';
import { isRotationInstanceId, isValidSecretName, normalizeVaultUrl } from '../rotation/markers';
import { isRotationOrchestration } from '../rotation/names';
import { type NotifierPort } from '../rotation/ports';
import { type StartRequest, type StartResult, tryGetStatus } from '../rotation/starter';
import { type ManagedSecretIndexPort } from '../scan/ports';
import { type RotationRecord } from '../workflows/timeline';
import { type AuthResult, type OperatorRole, OperatorRoles } from './operatorAuth';

export interface ApiResponse {
    readonly status: number;
    readonly jsonBody: unknown;
}

export interface ApiRequest {
    readonly authorization: string | null;
    readonly params: Readonly<Record<string, string | undefined>>;
    readonly query: URLSearchParams;
    readonly json: () => Promise<unknown>;
}

export interface RotationsApiDeps {
    readonly authorize: (authorization: string | null, role: OperatorRole) => Promise<AuthResult>;
    readonly durable: Pick<DurableClient, 'getStatus' | 'getStatusBy'>;
    readonly start: (request: StartRequest) => Promise<StartResult>;
    readonly index: ManagedSecretIndexPort;
    readonly bindings: { find(vaultUrl: string, secretName: string): Promise<Binding | undefined> };
    readonly notifier: NotifierPort;
    readonly vaultUrls: readonly string[];
    readonly defaultVaultUrl: string;
    readonly paused: boolean;
    readonly now: () => Promise<Date>;
}

export function apiError(status: number, code: string, message: string): ApiResponse {
    return { status, jsonBody: { error: { code, message } } };
}

/** A JSON body checked against its schema: the data, or the 400 to answer (with nothing changed). */
export async function parseJsonBody<T extends z.ZodType>(
    request: ApiRequest,
    schema: T,
): Promise<{ readonly ok: true; readonly data: z.output<T> } | { readonly ok: false; readonly response: ApiResponse }> {
    let raw: unknown;
    try {
        raw = await request.json();
    } catch {
        return { ok: false, response: apiError(400, 'invalid_request', 'the body must be JSON') };
    }
    const parsed = schema.safeParse(raw);
    if (parsed.success) return { ok: true, data: parsed.data };
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    return { ok: false, response: apiError(400, 'invalid_request', problems.join('; ')) };
}

const StartBody = z
    .object({
        secretName: z
            .string()
            .refine(isValidSecretName, 'must be a Key Vault secret name (1-127 letters, digits, dashes)'),
        vaultUrl: z.url({ protocol: /^https$/ }).optional(),
        dryRun: z.boolean().default(false),
        reason: z.string().max(500).default(''),
    })
    .strict();

/** POST /api/rotations: start (or join) the rotation of one managed secret. Nothing starts on any error. */
export async function startRotationRoute(deps: RotationsApiDeps, request: ApiRequest): Promise<ApiResponse> {
    const auth = await deps.authorize(request.authorization, OperatorRoles.write);
    if (!auth.ok) return apiError(auth.status, auth.code, auth.message);
    const parsed = await parseJsonBody(request, StartBody);
    if (!parsed.ok) return parsed.response;
    const body = parsed.data;
    const vaultUrl = normalizeVaultUrl(body.vaultUrl ?? deps.defaultVaultUrl);
    if (!deps.vaultUrls.some((u) => normalizeVaultUrl(u) === vaultUrl)) {
        return apiError(400, 'invalid_request', 'vaultUrl is not one of the vaults this rotator manages');
    }
    const current = await deps.index.current(vaultUrl, body.secretName);
    if (!current) return apiError(404, 'not_found', `secret ${body.secretName} does not exist in ${vaultUrl}`);
    const check = checkBinding(await deps.bindings.find(vaultUrl, body.secretName), current);
    if (check.kind === 'notEnrolled') {
        return apiError(
            404,
            'not_enrolled',
            `secret ${body.secretName} is not enrolled; enroll it first (POST /api/bindings, role Rotation.Admin)`,
        );
    }
    if (check.kind === 'mismatch') {
        await deps.notifier.publish([bindingMismatchEvent(current, check, 'api', await deps.now())]);
        return apiError(409, 'binding_mismatch', `secret ${body.secretName} is refused: ${check.detail}`);
    }
    if (deps.paused && !body.dryRun)
        return apiError(409, 'paused', 'rotation is paused (ROTATION_PAUSED); dry runs still work');
    const started = await deps.start({
        vaultUrl,
        secretName: check.binding.secretName,
        appId: check.binding.appId,
        keyId: check.binding.keyId,
        dryRun: body.dryRun,
        reason: body.reason,
        trigger: 'api',
        startedBy: {
            objectId: auth.caller.objectId ?? null,
            appId: auth.caller.appId ?? null,
            name: auth.caller.name ?? null,
        },
    });
    return {
        status: 202,
        jsonBody: {
            id: started.id,
            statusUrl: `/api/rotations/${encodeURIComponent(started.id)}`,
            ...(started.alreadyRunning ? { alreadyRunning: true } : {}),
        },
    };
}

/** GET /api/rotations/{id}. */
export async function getRotationRoute(deps: RotationsApiDeps, request: ApiRequest): Promise<ApiResponse> {
    const auth = await deps.authorize(request.authorization, OperatorRoles.read);
    if (!auth.ok) return apiError(auth.status, auth.code, auth.message);
    const id = request.params.id ?? '';
    // The id goes into the Durable management URL: anything but our own id shape (e.g. `%2F..`, `?`) stops here.
    if (!isRotationInstanceId(id)) return apiError(404, 'not_found', 'no rotation with that id');
    const status = await tryGetStatus(deps.durable, id);
    if (!status || !isRotationOrchestration(status.name)) return apiError(404, 'not_found', 'no rotation with that id');
    return { status: 200, jsonBody: toRotationView(status) };
}

const MAX_PAGE = 100;

/** GET /api/rotations?top=&skip=&days=: recent rotations, newest first. */
export async function listRotationsRoute(deps: RotationsApiDeps, request: ApiRequest): Promise<ApiResponse> {
    const auth = await deps.authorize(request.authorization, OperatorRoles.read);
    if (!auth.ok) return apiError(auth.status, auth.code, auth.message);
    const top = intParam(request.query.get('top'), 20, 1, MAX_PAGE);
    const skip = intParam(request.query.get('skip'), 0, 0, 1_000_000);
    const days = intParam(request.query.get('days'), 30, 1, 365);
    if (top === undefined || skip === undefined || days === undefined) {
        return apiError(400, 'invalid_request', `top must be 1-${MAX_PAGE}, skip >= 0, days 1-365`);
    }
    const now = await deps.now();
    const all = (await deps.durable.getStatusBy({ createdTimeFrom: new Date(now.getTime() - days * 86_400_000) }))
        .filter((s) => isRotationOrchestration(s.name))
        .sort((a, b) => new Date(b.createdTime).getTime() - new Date(a.createdTime).getTime());
    const items = all.slice(skip, skip + top).map(toRotationView);
    const more = skip + top < all.length;
    return {
        status: 200,
        jsonBody: {
            items,
            total: all.length,
            ...(more ? { nextLink: `/api/rotations?top=${top}&skip=${skip + top}&days=${days}` } : {}),
        },
    };
}

export type PublicStatus = 'Pending' | 'Running' | 'Completed' | 'Failed' | 'AttentionRequired' | 'Terminated';

/** The public view of one orchestration: no durable management URLs, no keys, no inputs beyond references. */
export function toRotationView(status: DurableOrchestrationStatus): Record<string, unknown> {
    const input = (status.input ?? {}) as Partial<RotationInput>;
    const output =
        status.runtimeStatus === OrchestrationRuntimeStatus.Completed ? (status.output as RotationRecord | null) : null;
    const record = output ?? (status.customStatus as RotationRecord | null) ?? null;
    return {
        id: status.instanceId,
        status: publicStatus(status, output, record),
        dryRun: input.dryRun ?? false,
        trigger: input.trigger ?? null,
        reason: input.reason ?? null,
        startedBy: input.startedBy ?? null,
        vaultUrl: input.vaultUrl ?? record?.vaultUrl ?? null,
        secretName: input.secretName ?? record?.secretName ?? null,
        rotationId: input.rotationId ?? record?.rotationId ?? null,
        appId: record?.appId ?? null,
        oldKeyId: record?.oldKeyId ?? null,
        newKeyId: record?.newKeyId ?? null,
        oldFingerprint: record?.oldFingerprint ?? null,
        newFingerprint: record?.newFingerprint ?? null,
        newSecretVersion: record?.newSecretVersion ?? null,
        outcome: record?.reason ?? null,
        findings: record?.findings ?? [],
        plan: record?.plan ?? null,
        createdAt: toIso(status.createdTime),
        updatedAt: toIso(status.lastUpdatedTime),
        steps: (record?.steps ?? []).map((s) => ({ name: s.name, state: s.state, at: s.at, detail: s.detail })),
        evidence: record?.evidence ?? [],
        // An operator action the rotation waits for (POST /api/rotations/{id}/accept-no-evidence), and one taken.
        awaiting: (status.runtimeStatus === OrchestrationRuntimeStatus.Running && record?.awaiting) || null,
        waiver: record?.waiver ?? null,
    };
}

function publicStatus(
    status: DurableOrchestrationStatus,
    output: RotationRecord | null,
    record: RotationRecord | null,
): PublicStatus {
    switch (status.runtimeStatus) {
        case OrchestrationRuntimeStatus.Pending:
            return 'Pending';
        case OrchestrationRuntimeStatus.Running:
            // Still running, but waiting for a human (the operator's "accept no evidence"): it needs action.
            return record?.awaiting ? 'AttentionRequired' : 'Running';
        case OrchestrationRuntimeStatus.ContinuedAsNew:
        case OrchestrationRuntimeStatus.Suspended:
            return 'Running';
        case OrchestrationRuntimeStatus.Completed:
            if (output?.status === 'AttentionRequired' || output?.status === 'Failed') return output.status;
            return 'Completed';
        case OrchestrationRuntimeStatus.Failed:
            return 'Failed';
        default:
            return 'Terminated';
    }
}

function toIso(value: Date | string | undefined): string | null {
    if (value === undefined) return null;
    const date = value instanceof Date ? value : new Date(value);
    return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export function intParam(raw: string | null, fallback: number, min: number, max: number): number | undefined {
    if (raw === null || raw === '') return fallback;
    if (!/^\d+$/.test(raw)) return undefined;
    const n = Number(raw);
    return n >= min && n <= max ? n : undefined;
}
