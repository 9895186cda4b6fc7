import { type EmuRequest, type ServiceName } from './contract';

/**
 * Documented service limits, as fixed windows on the emulator clock (limits-failure-modes-security §A1,
 * api-fidelity §1.6, §4.2). `scale` shrinks every quota so tests can reach a limit with a handful of calls.
 */
interface Quota {
    readonly name: string;
    /** Tenant-wide quotas share one window across callers. */
    readonly tenantWide?: boolean;
    readonly limit: number;
    readonly windowSeconds: number;
    cost(request: EmuRequest): number;
}

const isWrite = (request: EmuRequest) => request.method !== 'GET' && request.method !== 'HEAD';

/** Graph identity resource units: GET applications = 2, other GET = 1, `$select` −1, `$top` < 20 −1, min 1. */
function graphResourceUnits(request: EmuRequest): number {
    let cost = /\/applications($|[/(])/.test(request.path) && request.method === 'GET' ? 2 : 1;
    if (request.query.has('$select')) cost -= 1;
    if (request.query.has('$expand')) cost += 1;
    const top = Number(request.query.get('$top') ?? '100');
    if (top < 20) cost -= 1;
    return Math.max(1, cost);
}

const QUOTAS: Partial<Record<ServiceName, readonly Quota[]>> = {
    graph: [
        { name: 'ResourceUnitLimitExceeded', limit: 3500, windowSeconds: 10, cost: graphResourceUnits },
        { name: 'WriteLimitExceeded', limit: 3000, windowSeconds: 150, cost: (r) => (isWrite(r) ? 1 : 0) },
        {
            // "$select of keyCredentials … has a throttling limit of 150 requests per minute for every tenant" (§1.4).
            name: 'KeyCredentialsSelectLimitExceeded',
            tenantWide: true,
            limit: 150,
            windowSeconds: 60,
            cost: (r) =>
                /\/applications/.test(r.path) && /keyCredentials/i.test(r.query.get('$select') ?? '') ? 1 : 0,
        },
        {
            name: 'ReportsLimitExceeded',
            limit: 5,
            windowSeconds: 10,
            cost: (r) => (/\/auditLogs\//i.test(r.path) ? 1 : 0),
        },
    ],
    keyVault: [
        { name: 'VaultTransactions', limit: 4000, windowSeconds: 10, cost: () => 1 },
        { name: 'VaultCreates', limit: 300, windowSeconds: 10, cost: (r) => (r.method === 'PUT' ? 1 : 0) },
    ],
};

interface Window {
    startMs: number;
    used: number;
}

export interface LimitDecision {
    readonly retryAfterSeconds: number;
    readonly information: string;
    /** `x-ms-throttle-scope`, e.g. `Tenant_Application/ReadWrite/{appId}` (api-fidelity §1.6). */
    readonly scope: string;
}

/** What an admitted request learns: the highest share of any quota it counted against (after charging). */
export interface LimitUsage {
    readonly usedFraction: number;
}

export class LimitTracker {
    private readonly windows = new Map<string, Window>();

    /**
     * Charges the request; returns a throttle decision when a quota is exhausted (429s are not charged),
     * else how full the fullest quota it counted against now is.
     */
    charge(
        service: ServiceName,
        callerKey: string,
        request: EmuRequest,
        nowMs: number,
        scale: number,
    ): LimitDecision | LimitUsage {
        const quotas = QUOTAS[service] ?? [];
        const pending: [Window, number, number][] = [];
        for (const quota of quotas) {
            const cost = quota.cost(request);
            if (cost === 0) continue;
            const key = `${service}|${quota.tenantWide ? 'tenant' : callerKey}|${quota.name}`;
            let window = this.windows.get(key);
            const windowMs = quota.windowSeconds * 1000;
            if (!window || nowMs - window.startMs >= windowMs) {
                window = { startMs: nowMs, used: 0 };
                this.windows.set(key, window);
            }
            const limit = Math.max(1, Math.floor(quota.limit * scale));
            if (window.used + cost > limit) {
                const retryAfterSeconds = Math.max(1, Math.ceil((window.startMs + windowMs - nowMs) / 1000));
                const scope = `${quota.tenantWide ? 'Tenant' : 'Tenant_Application'}/${quota.name}/${quota.tenantWide ? 'tenant' : callerKey}`;
                return { retryAfterSeconds, information: quota.name, scope };
            }
            pending.push([window, cost, limit]);
        }
        let usedFraction = 0;
        for (const [window, cost, limit] of pending) {
            window.used += cost;
            usedFraction = Math.max(usedFraction, window.used / limit);
        }
        return { usedFraction };
    }

    clear(): void {
        this.windows.clear();
    }
}
