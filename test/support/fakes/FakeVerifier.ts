import { type AadstsClassification, classifyAadsts, type TokenErrorLike } from '../../../shared/domain/aadsts';
import { type TokenCheck, type TokenVerifierPort } from '../../../shared/rotation/ports';
import { fingerprintOf } from '../../../shared/security/fingerprint';
import { type Secret } from '../../../shared/security/Secret';
import { type FakeDirectory } from './FakeDirectory';

/** A token-endpoint error body as Entra returns it for an AADSTS code. */
export function tokenError(code: number, status = 401): TokenErrorLike {
    return {
        status,
        error: 'invalid_client',
        error_codes: [code],
        error_description: `AADSTS${code}: fake token endpoint rejected the request. Trace ID: 0000`,
    };
}

export function classificationFor(code: number): AadstsClassification {
    return classifyAadsts(tokenError(code));
}

type Scripted =
    { readonly kind: 'check'; readonly check: TokenCheck } | { readonly kind: 'throw'; readonly error: Error };

/**
 * A token endpoint. By default it issues a token exactly when the directory holds the secret for the app
 * (otherwise AADSTS7000215); scripted outcomes run first, in order: `failWith(7000215, 2)` models a new
 * secret that needs two more attempts to replicate.
 */
export class FakeVerifier implements TokenVerifierPort {
    readonly calls: { readonly appId: string; readonly fingerprint: string }[] = [];
    readonly #script: Scripted[] = [];

    constructor(private readonly directory: FakeDirectory) {}

    failWith(code: number, times = 1): this {
        for (let i = 0; i < times; i++) {
            this.#script.push({ kind: 'check', check: { ok: false, classification: classificationFor(code) } });
        }
        return this;
    }

    failWithClassification(classification: AadstsClassification, times = 1): this {
        for (let i = 0; i < times; i++) this.#script.push({ kind: 'check', check: { ok: false, classification } });
        return this;
    }

    /** Drops the scripted outcomes that are left (the cause was fixed). */
    clearScript(): this {
        this.#script.length = 0;
        return this;
    }

    throwNext(error: Error): this {
        this.#script.push({ kind: 'throw', error });
        return this;
    }

    /** Where a successful token request is logged (the world wires its sign-in log in). */
    onSignIn: ((appId: string, keyId: string, correlationId: string | undefined) => void) | undefined;

    checkSecret(appId: string, secret: Secret, correlationId?: string): Promise<TokenCheck> {
        this.calls.push({ appId, fingerprint: fingerprintOf(secret) });
        const scripted = this.#script.shift();
        if (scripted?.kind === 'throw') return Promise.reject(scripted.error);
        if (scripted) return Promise.resolve(scripted.check);
        const keyId = this.directory.keyIdFor(appId, secret);
        if (keyId !== undefined) {
            this.onSignIn?.(appId, keyId, correlationId);
            return Promise.resolve({ ok: true, tokenExpiresOn: '2099-01-01T00:00:00.000Z' });
        }
        return Promise.resolve({ ok: false, classification: classificationFor(7000215) });
    }
}
