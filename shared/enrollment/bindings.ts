import { normalizeVaultUrl } from '../rotation/markers';
import { type StateStorePort, unchanged } from '../scan/ports';

/**
 * Enrollment: the operator's decision that one Key Vault secret holds one application credential. Only an
 * operator action (API or CLI, app role Rotation.Admin) creates or removes a binding; the rotator itself only
 * moves a binding to the key it just published. Key Vault tags never create or change one.
 */
export interface Binding {
    readonly vaultUrl: string;
    readonly secretName: string;
    readonly appId: string;
    readonly keyId: string;
    readonly enrolledAt: string;
    readonly enrolledBy: Actor;
    readonly reason: string;
    readonly updatedAt: string;
    /** The rotation that last moved this binding, if any. */
    readonly lastRotationId: string | null;
    /**
     * The key a running rotation is publishing (set just before the secret's new version is written, cleared when
     * the binding moves to it): tags naming it are not a disagreement while the publish completes.
     */
    readonly nextKeyId?: string;
}

/** Who acted: an operator (from the token's claims) or the rotator moving a binding after a rotation. */
export interface Actor {
    readonly kind: 'operator' | 'rotator';
    readonly objectId: string | null;
    readonly appId: string | null;
    readonly name: string | null;
}

export type HistoryAction = 'enrolled' | 'unenrolled' | 'rotated';

/** One line of the append-only enrollment history. Entries are only ever appended, never changed or removed. */
export interface HistoryEntry {
    readonly seq: number;
    readonly at: string;
    readonly action: HistoryAction;
    readonly actor: Actor;
    readonly reason: string;
    readonly vaultUrl: string;
    readonly secretName: string;
    readonly appId: string;
    readonly keyId: string;
    readonly previousKeyId: string | null;
}

interface EnrollmentDocument {
    readonly schema: 1;
    readonly bindings: readonly Binding[];
    readonly history: readonly HistoryEntry[];
}

/** Bindings and their history share one document, so a change and its history line are written atomically. */
export const ENROLLMENT_KEY = 'enrollment/bindings';

const EMPTY: EnrollmentDocument = { schema: 1, bindings: [], history: [] };

export interface BindingRequest {
    readonly vaultUrl: string;
    readonly secretName: string;
    readonly appId: string;
    readonly keyId: string;
}

export type EnrollOutcome =
    | { readonly outcome: 'enrolled' | 'unchanged'; readonly binding: Binding }
    | { readonly outcome: 'conflict'; readonly existing: Binding; readonly message: string };

export type MoveOutcome = 'moved' | 'alreadyMoved' | 'notEnrolled' | 'boundToOtherKey';

export function sameSecret(a: { vaultUrl: string; secretName: string }, vaultUrl: string, secretName: string): boolean {
    return (
        normalizeVaultUrl(a.vaultUrl) === normalizeVaultUrl(vaultUrl) &&
        a.secretName.toLowerCase() === secretName.toLowerCase()
    );
}

function sameCredential(a: { appId: string; keyId: string }, appId: string, keyId: string): boolean {
    return a.appId.toLowerCase() === appId.toLowerCase() && a.keyId.toLowerCase() === keyId.toLowerCase();
}

/**
 * Tags describe a binding for humans and discovery. When a secret carries `entra-app-id`/`entra-key-id` that name
 * another credential than its binding, someone changed them outside the rotator: refuse and announce.
 * Missing tags are not a disagreement.
 */
export function tagDisagreement(
    binding: Pick<Binding, 'appId' | 'keyId' | 'nextKeyId'>,
    tags: { readonly appId?: string | undefined; readonly keyId?: string | undefined },
): string | undefined {
    const problems: string[] = [];
    if (tags.appId !== undefined && tags.appId.toLowerCase() !== binding.appId.toLowerCase())
        problems.push(`entra-app-id tag ${tags.appId} but enrolled for application ${binding.appId}`);
    const keys = [binding.keyId, binding.nextKeyId].filter((k): k is string => k !== undefined);
    if (tags.keyId !== undefined && !keys.some((k) => k.toLowerCase() === tags.keyId!.toLowerCase()))
        problems.push(`entra-key-id tag ${tags.keyId} but enrolled for key ${binding.keyId}`);
    return problems.length > 0 ? problems.join('; ') : undefined;
}

/** The enrollment document in the state store; every change is a conditional write. */
export class BindingStore {
    constructor(private readonly state: StateStorePort) {}

    /**
     * One conditional read-modify-write of the document. `decide` is pure (it may run again after a concurrent
     * writer); its last run's result is the answer.
     */
    private async change<R>(
        decide: (doc: EnrollmentDocument) => { readonly next: EnrollmentDocument | undefined; readonly result: R },
    ): Promise<R> {
        let result: R | undefined;
        await this.state.update<EnrollmentDocument>(ENROLLMENT_KEY, (current) => {
            const decision = decide(current ?? EMPTY);
            result = decision.result;
            return decision.next ?? unchanged;
        });
        return result as R;
    }

    async list(): Promise<readonly Binding[]> {
        return (await this.state.read<EnrollmentDocument>(ENROLLMENT_KEY))?.bindings ?? [];
    }

    async history(): Promise<readonly HistoryEntry[]> {
        return (await this.state.read<EnrollmentDocument>(ENROLLMENT_KEY))?.history ?? [];
    }

    async find(vaultUrl: string, secretName: string): Promise<Binding | undefined> {
        return (await this.list()).find((b) => sameSecret(b, vaultUrl, secretName));
    }

    /** One secret holds one credential and one credential is held by one secret. Re-enrolling the same is a no-op. */
    enroll(request: BindingRequest, actor: Actor, reason: string, now: Date): Promise<EnrollOutcome> {
        const at = now.toISOString();
        const vaultUrl = normalizeVaultUrl(request.vaultUrl);
        return this.change<EnrollOutcome>((doc) => {
            const bySecret = doc.bindings.find((b) => sameSecret(b, vaultUrl, request.secretName));
            if (bySecret && sameCredential(bySecret, request.appId, request.keyId))
                return { next: undefined, result: { outcome: 'unchanged', binding: bySecret } };
            if (bySecret) {
                return {
                    next: undefined,
                    result: {
                        outcome: 'conflict',
                        existing: bySecret,
                        message: `secret ${bySecret.secretName} is already enrolled for application ${bySecret.appId} key ${bySecret.keyId}; unenroll it first`,
                    },
                };
            }
            const byCredential = doc.bindings.find((b) => sameCredential(b, request.appId, request.keyId));
            if (byCredential) {
                return {
                    next: undefined,
                    result: {
                        outcome: 'conflict',
                        existing: byCredential,
                        message: `credential ${request.keyId} of application ${request.appId} is already enrolled as ${byCredential.secretName} in ${byCredential.vaultUrl}`,
                    },
                };
            }
            const binding: Binding = {
                vaultUrl,
                secretName: request.secretName,
                appId: request.appId.toLowerCase(),
                keyId: request.keyId.toLowerCase(),
                enrolledAt: at,
                enrolledBy: actor,
                reason,
                updatedAt: at,
                lastRotationId: null,
            };
            return {
                next: append(
                    { ...doc, bindings: [...doc.bindings, binding] },
                    {
                        at,
                        action: 'enrolled',
                        actor,
                        reason,
                        ...ids(binding),
                        previousKeyId: null,
                    },
                ),
                result: { outcome: 'enrolled', binding },
            };
        });
    }

    unenroll(
        vaultUrl: string,
        secretName: string,
        actor: Actor,
        reason: string,
        now: Date,
    ): Promise<Binding | undefined> {
        return this.change<Binding | undefined>((doc) => {
            const existing = doc.bindings.find((b) => sameSecret(b, vaultUrl, secretName));
            if (!existing) return { next: undefined, result: undefined };
            return {
                next: append(
                    { ...doc, bindings: doc.bindings.filter((b) => b !== existing) },
                    {
                        at: now.toISOString(),
                        action: 'unenrolled',
                        actor,
                        reason,
                        ...ids(existing),
                        previousKeyId: null,
                    },
                ),
                result: existing,
            };
        });
    }

    /** After a rotation published the new key's value: the binding follows it. Idempotent for activity retries. */
    /**
     * Before a rotation writes the new key's value into the secret: the binding announces the key it is moving
     * to, so a scan or event that sees the new tags before the move completes does not read them as tampering.
     */
    prepareMove(target: BindingRequest & { readonly previousKeyId: string | undefined }): Promise<MoveOutcome> {
        return this.change<MoveOutcome>((doc) => {
            const existing = movable(doc, target);
            if (typeof existing === 'string') return { next: undefined, result: existing };
            if (existing.nextKeyId === target.keyId.toLowerCase()) return { next: undefined, result: 'moved' };
            const prepared: Binding = { ...existing, nextKeyId: target.keyId.toLowerCase() };
            return {
                next: { ...doc, bindings: doc.bindings.map((b) => (b === existing ? prepared : b)) },
                result: 'moved',
            };
        });
    }

    moveKey(
        target: BindingRequest & { readonly previousKeyId: string | undefined },
        rotationId: string,
        now: Date,
    ): Promise<MoveOutcome> {
        return this.change<MoveOutcome>((doc) => {
            const existing = movable(doc, target);
            if (typeof existing === 'string') return { next: undefined, result: existing };
            const at = now.toISOString();
            const { nextKeyId: _done, ...rest } = existing;
            const moved: Binding = {
                ...rest,
                keyId: target.keyId.toLowerCase(),
                updatedAt: at,
                lastRotationId: rotationId,
            };
            return {
                next: append(
                    { ...doc, bindings: doc.bindings.map((b) => (b === existing ? moved : b)) },
                    {
                        at,
                        action: 'rotated',
                        actor: { kind: 'rotator', objectId: null, appId: null, name: `rotation ${rotationId}` },
                        reason: `rotation ${rotationId} published key ${moved.keyId}`,
                        ...ids(moved),
                        previousKeyId: existing.keyId,
                    },
                ),
                result: 'moved',
            };
        });
    }
}

/**
 * The binding a key move applies to, or why the move does not apply: not enrolled, already on the new key, or bound
 * to a key other than the one the rotation replaces.
 */
function movable(
    doc: EnrollmentDocument,
    target: BindingRequest & { readonly previousKeyId: string | undefined },
): Binding | Exclude<MoveOutcome, 'moved'> {
    const existing = doc.bindings.find((b) => sameSecret(b, target.vaultUrl, target.secretName));
    if (!existing) return 'notEnrolled';
    if (sameCredential(existing, target.appId, target.keyId)) return 'alreadyMoved';
    const fromKey = target.previousKeyId ?? existing.keyId;
    return sameCredential(existing, target.appId, fromKey) ? existing : 'boundToOtherKey';
}

function ids(b: Binding): Pick<HistoryEntry, 'vaultUrl' | 'secretName' | 'appId' | 'keyId'> {
    return { vaultUrl: b.vaultUrl, secretName: b.secretName, appId: b.appId, keyId: b.keyId };
}

function append(doc: EnrollmentDocument, entry: Omit<HistoryEntry, 'seq'>): EnrollmentDocument {
    const seq = (doc.history.at(-1)?.seq ?? 0) + 1;
    return { ...doc, history: [...doc.history, { seq, ...entry }] };
}
