import { type TokenCredential } from '@azure/identity';

import { classifyAadsts } from '../domain/aadsts';

export interface DependencyCheck {
    readonly ok: boolean;
    readonly category: string;
    readonly hint: string;
}

export interface HealthReport {
    /** ok; misconfigured = our own identity cannot authenticate (page a human; restarting will not help); unavailable = a dependency is down. */
    readonly status: 'ok' | 'misconfigured' | 'unavailable';
    readonly paused: boolean;
    readonly checks: { readonly graph: DependencyCheck; readonly keyVault: DependencyCheck };
}

/**
 * Seed 000's lesson: a probe that answers 503 on an auth failure makes the platform cycle instances, which
 * cannot fix a credential. So: misconfigured → 200 with the finding (alert on it), unavailable → 503.
 */
export async function checkHealth(
    credential: TokenCredential,
    paused: boolean,
    scopes: { readonly graph: string; readonly keyVault: string },
): Promise<{ httpStatus: number; report: HealthReport }> {
    const [graph, keyVault] = await Promise.all([probe(credential, scopes.graph), probe(credential, scopes.keyVault)]);
    const checks = [graph, keyVault];
    const status = checks.some((c) => !c.ok && c.category === 'auth')
        ? 'misconfigured'
        : checks.some((c) => !c.ok)
          ? 'unavailable'
          : 'ok';
    return {
        httpStatus: status === 'unavailable' ? 503 : 200,
        report: { status, paused, checks: { graph, keyVault } },
    };
}

/**
 * Settings the app cannot even be built from are our configuration too: the same answer as an identity that
 * cannot sign in (200 + misconfigured), never a 5xx. The hint stays generic: this route is anonymous.
 */
export function configHealth(paused: boolean): { httpStatus: number; report: HealthReport } {
    const check: DependencyCheck = {
        ok: false,
        category: 'config',
        hint: 'config_invalid: the app settings are invalid or incomplete; see the app logs',
    };
    return { httpStatus: 200, report: { status: 'misconfigured', paused, checks: { graph: check, keyVault: check } } };
}

async function probe(credential: TokenCredential, scope: string): Promise<DependencyCheck> {
    try {
        const token = await credential.getToken(scope);
        return token
            ? { ok: true, category: 'ok', hint: 'token acquired' }
            : { ok: false, category: 'unavailable', hint: 'no token returned' };
    } catch (error) {
        const message = error instanceof Error ? error.message : '';
        const network = /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|fetch failed|socket|network/i.test(message);
        const c = classifyAadsts({
            message,
            networkError: network,
            ...(statusOf(error) ? { status: statusOf(error) } : {}),
        });
        if (c.authFailure) return { ok: false, category: 'auth', hint: `${c.category}: ${c.hint}` };
        return { ok: false, category: 'unavailable', hint: `${c.category}: ${c.hint}` };
    }
}

function statusOf(error: unknown): number | undefined {
    const status =
        typeof error === 'object' && error !== null ? (error as { statusCode?: unknown }).statusCode : undefined;
    return typeof status === 'number' ? status : undefined;
}
