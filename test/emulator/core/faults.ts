import { type ServiceName } from './contract';
import { isRecord } from './http';

export const SERVICE_NAMES: readonly ServiceName[] = ['entra', 'graph', 'keyVault', 'eventGrid', 'resourceManager'];

/** Injected faults for one service. Counters count down per matching request. */
export interface ServiceFaults {
    /** Added to every response of the service, before the request is handled. */
    latencyMs: number;
    /**
     * A floor on the service's response time, counted from arrival and overlapping the handling, the way a real
     * service's latency includes its own processing. Benchmarks use it so the emulator's work is not added on top.
     */
    responseTimeMs: number;
    /** The next `count` requests get 429; `retryAfterSeconds: null` omits the header (§1.6). */
    throttle: { count: number; retryAfterSeconds: number | null } | undefined;
    /**
     * Whether this service's 429s carry `Retry-After` (limits mode, and `throttle` without `retryAfterSeconds`).
     * Unset: the service's own habit. Key Vault's real 429s carry none (vcsjones/AzureSignTool#219: `Throttled`
     * "…VaultRequestTypeLimitReached" with no Retry-After; learn overview-throttling only says to back off), and
     * core-rest-pipeline then does not retry a 429 at all. Graph documents the header (learn graph/throttling).
     */
    retryAfterHeader: boolean | undefined;
    /** Enforce the documented quotas (multiplied by `limitScale`, e.g. 0.001 to hit them in a test). */
    limits: boolean;
    limitScale: number;
    /**
     * The next `count` requests get `status`. With `afterHandling` the request is processed first and only the
     * response is replaced: "addPassword created the credential but answered 503" (§1.2).
     */
    serverErrors: { status: number; count: number; afterHandling: boolean } | undefined;
    /** The next `count` requests are dropped: the socket is destroyed without a response. */
    drop: { count: number } | undefined;
    /** Graph only: the next `count` `$batch` items answer 429 inside a 200 batch (§1.7, per-item throttling). */
    batchItemThrottle: { count: number; retryAfterSeconds: number } | undefined;
    /** When set, the faults above apply only to requests with these HTTP methods (e.g. `["PUT"]` for writes). */
    methods: readonly string[] | undefined;
}

export const noFaults = (): ServiceFaults => ({
    latencyMs: 0,
    responseTimeMs: 0,
    throttle: undefined,
    limits: false,
    limitScale: 1,
    retryAfterHeader: undefined,
    serverErrors: undefined,
    drop: undefined,
    batchItemThrottle: undefined,
    methods: undefined,
});

export class FaultPlan {
    services: Record<ServiceName, ServiceFaults> = FaultPlan.empty();
    /** Passed on to the Event Grid module (every notification delivered twice). */
    duplicateEventDelivery = false;

    private static empty(): Record<ServiceName, ServiceFaults> {
        return {
            entra: noFaults(),
            graph: noFaults(),
            keyVault: noFaults(),
            eventGrid: noFaults(),
            resourceManager: noFaults(),
        };
    }

    clear(): void {
        this.services = FaultPlan.empty();
        this.duplicateEventDelivery = false;
    }

    /** Merges a `/_emulator/faults` body's per-service sections; throws RangeError on invalid values. */
    apply(body: Record<string, unknown>): void {
        for (const name of SERVICE_NAMES) {
            const section = body[name];
            if (section === undefined) continue;
            if (!isRecord(section)) throw new RangeError(`${name} must be an object`);
            const target = this.services[name];
            if ('latencyMs' in section) target.latencyMs = nonNegative(section['latencyMs'], `${name}.latencyMs`);
            if ('responseTimeMs' in section) {
                target.responseTimeMs = nonNegative(section['responseTimeMs'], `${name}.responseTimeMs`);
            }
            if ('limits' in section) target.limits = section['limits'] === true;
            if ('limitScale' in section) target.limitScale = positive(section['limitScale'], `${name}.limitScale`);
            if ('retryAfterHeader' in section) {
                const v = section['retryAfterHeader'];
                if (v !== null && typeof v !== 'boolean')
                    throw new RangeError(`${name}.retryAfterHeader must be a boolean`);
                target.retryAfterHeader = v ?? undefined;
            }
            if ('throttle' in section) {
                const t = section['throttle'];
                const withHeader = target.retryAfterHeader ?? sendsRetryAfter(name);
                target.throttle = isRecord(t)
                    ? {
                          count: nonNegative(t['count'] ?? 1, `${name}.throttle.count`),
                          retryAfterSeconds:
                              t['retryAfterSeconds'] === null || (t['retryAfterSeconds'] === undefined && !withHeader)
                                  ? null
                                  : nonNegative(t['retryAfterSeconds'] ?? 1, `${name}.throttle.retryAfterSeconds`),
                      }
                    : undefined;
            }
            if ('serverErrors' in section) {
                const s = section['serverErrors'];
                target.serverErrors = isRecord(s)
                    ? {
                          status: statusCode(s['status'] ?? 503),
                          count: nonNegative(s['count'] ?? 1, `${name}.serverErrors.count`),
                          afterHandling: s['afterHandling'] === true,
                      }
                    : undefined;
            }
            if ('batchItemThrottle' in section) {
                const b = section['batchItemThrottle'];
                target.batchItemThrottle = isRecord(b)
                    ? {
                          count: nonNegative(b['count'] ?? 1, `${name}.batchItemThrottle.count`),
                          retryAfterSeconds: nonNegative(
                              b['retryAfterSeconds'] ?? 1,
                              `${name}.batchItemThrottle.retryAfterSeconds`,
                          ),
                      }
                    : undefined;
            }
            if ('methods' in section) {
                const m = section['methods'];
                if (m !== null && (!Array.isArray(m) || m.some((x) => typeof x !== 'string'))) {
                    throw new RangeError(`${name}.methods must be an array of HTTP methods or null`);
                }
                target.methods = m === null ? undefined : (m as string[]).map((x) => x.toUpperCase());
            }
            if ('drop' in section) {
                const d = section['drop'];
                target.drop = isRecord(d) ? { count: nonNegative(d['count'] ?? 1, `${name}.drop.count`) } : undefined;
            }
        }
    }

    /** Takes one unit from a counter-based fault; true when it fires for this request. */
    static consume(fault: { count: number } | undefined): boolean {
        if (!fault || fault.count <= 0) return false;
        fault.count -= 1;
        return true;
    }
}

export function nonNegative(value: unknown, name: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
        throw new RangeError(`${name} must be a non-negative number`);
    return value;
}

function positive(value: unknown, name: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
        throw new RangeError(`${name} must be a positive number`);
    return value;
}

function statusCode(value: unknown): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 500 || value > 599) {
        throw new RangeError('serverErrors.status must be a 5xx status');
    }
    return value;
}

/** ISO-8601 durations like `P90D`, `P1Y`, `PT12H` → seconds (years as 365 days, months as 30). */
export function isoDurationSeconds(text: string): number {
    const match = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
    if (!match || text === 'P' || text.endsWith('T')) throw new RangeError(`Invalid ISO-8601 duration: ${text}`);
    const [, y, mo, d, h, mi, s] = match.map((part) => Number(part ?? 0));
    return ((y ?? 0) * 365 + (mo ?? 0) * 30 + (d ?? 0)) * 86400 + (h ?? 0) * 3600 + (mi ?? 0) * 60 + (s ?? 0);
}

/** A service's own habit with `Retry-After` on 429 (see `ServiceFaults.retryAfterHeader`). */
export function sendsRetryAfter(service: string): boolean {
    return service !== 'keyVault';
}
