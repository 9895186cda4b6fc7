import { type TenantRuntime, type TenantSettings, defaultTenantSettings } from '../entra/runtime';
import { parseDelaySpec, parseSeed } from './delays';
import { type VirtualClock } from './clock';
import { type EmuRequest, type EmuResponse, type EmulatorContext } from './contract';
import { FaultPlan, isoDurationSeconds } from './faults';
import { isRecord, parseJsonBody } from './http';
import { type LimitTracker } from './limits';
import { type Services } from './services';

export interface ControlDeps {
    readonly clock: VirtualClock;
    readonly runtime: TenantRuntime;
    readonly services: Services;
    readonly faults: FaultPlan;
    readonly limits: LimitTracker;
    readonly context: EmulatorContext;
}

const ok = (body: unknown): EmuResponse => ({ status: 200, body });
const bad = (message: string, status = 400): EmuResponse => ({
    status,
    body: { error: { code: 'BadRequest', message } },
});

function clockView(clock: VirtualClock): object {
    return { now: clock.now().toISOString(), offsetSeconds: clock.offsetSeconds };
}

function faultsView(deps: ControlDeps): object {
    const { settings } = deps.runtime;
    return {
        ...deps.faults.services,
        propagationDelaySeconds: settings.propagationDelaySeconds,
        signInIngestionLatencySeconds: settings.signInIngestionLatencySeconds,
        graphReplicationLagSeconds: settings.graphReplicationLagSeconds,
        delaySeed: settings.delaySeed,
        tokenLifetimeClock: settings.tokenLifetimeClock,
        applicationCredentialLimit: settings.applicationCredentialLimit,
        appManagementPolicy: { maxPasswordLifetimeSeconds: settings.maxPasswordLifetimeSeconds ?? null },
        duplicateEventDelivery: deps.faults.duplicateEventDelivery,
    };
}

/** Tenant settings from a faults body (throws RangeError on an invalid value). */
function applySettings(settings: TenantSettings, body: Record<string, unknown>): void {
    for (const name of [
        'propagationDelaySeconds',
        'signInIngestionLatencySeconds',
        'graphReplicationLagSeconds',
    ] as const) {
        if (name in body) settings[name] = parseDelaySpec(body[name], name);
    }
    if ('delaySeed' in body) settings.delaySeed = parseSeed(body['delaySeed']);
    if ('applicationCredentialLimit' in body) {
        const limit = body['applicationCredentialLimit'];
        if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1)
            throw new RangeError('applicationCredentialLimit must be a positive integer');
        settings.applicationCredentialLimit = limit;
    }
    if ('tokenLifetimeClock' in body) {
        const clock = body['tokenLifetimeClock'];
        if (clock !== 'virtual' && clock !== 'wall')
            throw new RangeError('tokenLifetimeClock must be "virtual" or "wall"');
        settings.tokenLifetimeClock = clock;
    }
    if ('appManagementPolicy' in body) {
        const policy = body['appManagementPolicy'];
        const max = isRecord(policy) ? policy['maxPasswordLifetime'] : undefined;
        settings.maxPasswordLifetimeSeconds = typeof max === 'string' ? isoDurationSeconds(max) : undefined;
    }
}

function applyFaults(deps: ControlDeps, body: Record<string, unknown>): void {
    const reset = body['reset'] === true;
    // Dry run on copies first, so an invalid knob changes nothing at all.
    const trial = new FaultPlan();
    if (!reset) trial.services = structuredClone(deps.faults.services);
    trial.apply(body);
    applySettings(reset ? defaultTenantSettings() : { ...deps.runtime.settings }, body);

    if (reset) {
        deps.faults.clear();
        deps.limits.clear();
        deps.runtime.settings = { ...defaultTenantSettings() };
        deps.services.eventGrid.setDuplicateDelivery(false);
    }
    deps.faults.apply(body);
    applySettings(deps.runtime.settings, body);
    // Setting a seed (even the same one) starts its streams over: that is what replaying a run means.
    if (reset || 'delaySeed' in body) deps.runtime.restartDelayStreams();
    if ('duplicateEventDelivery' in body) {
        deps.faults.duplicateEventDelivery = body['duplicateEventDelivery'] === true;
        deps.services.eventGrid.setDuplicateDelivery(deps.faults.duplicateEventDelivery);
    }
}

/** The `/_emulator/…` control API: the only routes no real service has. */
export async function handleControl(deps: ControlDeps, request: EmuRequest): Promise<EmuResponse> {
    const sub = request.path.slice('/_emulator'.length);
    const { method } = request;
    if (sub === '/clock' && method === 'GET') return ok(clockView(deps.clock));
    if ((sub === '/clock' || sub === '/faults') && method === 'POST') {
        const parsed = parseJsonBody(request);
        if (!parsed.ok || !isRecord(parsed.value)) return bad('Expected a JSON object body.');
        try {
            if (sub === '/faults') {
                applyFaults(deps, parsed.value);
                return ok(faultsView(deps));
            }
            await deps.clock.advance(Number(parsed.value['advanceSeconds']));
            return ok(clockView(deps.clock));
        } catch (error) {
            if (error instanceof RangeError) return bad(error.message);
            throw error;
        }
    }
    if (sub === '/faults' && method === 'GET') return ok(faultsView(deps));
    if (sub === '/events' && method === 'GET') {
        return (await deps.services.eventGrid.control?.('/events', request, deps.context)) ?? bad('No events', 404);
    }
    if (sub === '/state' && method === 'GET') {
        const services: Record<string, unknown> = {};
        for (const module of deps.services.modules) services[module.name] = module.stateView();
        return ok({ clock: clockView(deps.clock), faults: faultsView(deps), services });
    }
    if (sub === '/reset' && method === 'POST') {
        applyFaults(deps, { reset: true });
        for (const module of deps.services.modules) module.reset(deps.context);
        deps.context.markDirty();
        return { status: 204 };
    }
    const match = /^\/(entra|graph|keyVault|eventGrid|resourceManager)(\/.*)?$/.exec(sub);
    const module = match && deps.services.modules.find((candidate) => candidate.name === match[1]);
    if (module?.control) {
        const response = await module.control(match?.[2] ?? '', request, deps.context);
        if (response) {
            if (method !== 'GET') deps.context.markDirty();
            return response;
        }
    }
    return bad(`Unknown control route ${method} ${request.path}`, 404);
}
