import { Cron } from 'croner';
import type { ClockSource } from '../clock/clock';
import type { Scheduler } from '../clock/scheduler';
import type { FunctionRegistry, RegisteredFunction } from '../core/coreShim';
import type { Invoker } from '../core/invoke';

/** `%NAME%` placeholders in binding properties resolve from app settings, as in the real host. */
export function resolveSetting(value: string, env: NodeJS.ProcessEnv): string {
    return value.replace(/%([^%]+)%/g, (_, name: string) => {
        const resolved = env[name];
        if (resolved === undefined) throw new Error(`App setting '${name}' referenced by a binding is not defined.`);
        return resolved;
    });
}

export interface Schedule {
    next(afterMs: number): number | undefined;
}

/**
 * NCRONTAB (six fields, seconds first) or a TimeSpan interval ("hh:mm:ss"). Evaluated in UTC (the host's default
 * without WEBSITE_TIME_ZONE). croner accepts the six-field form with seconds.
 */
export function parseSchedule(expression: string): Schedule {
    const span = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(expression.trim());
    if (span) {
        const ms =
            ((Number(span[1] ?? 0) * 24 + Number(span[2])) * 3600 + Number(span[3]) * 60 + Number(span[4])) * 1000;
        if (ms <= 0) throw new Error(`Invalid timer interval '${expression}'.`);
        return { next: (after) => after + ms };
    }
    const fields = expression.trim().split(/\s+/);
    if (fields.length !== 6) throw new Error(`NCRONTAB '${expression}' must have six fields (seconds first).`);
    const cron = new Cron(expression, { timezone: 'Etc/UTC', paused: true });
    return { next: (after) => cron.nextRun(new Date(after))?.getTime() };
}

/** The timer trigger payload the host sends (PascalCase JSON; the library camel-cases it for the handler). */
function timerPayload(isPastDue: boolean, last: number | undefined, next: number | undefined, now: number): string {
    return JSON.stringify({
        Schedule: { AdjustForDST: true },
        ScheduleStatus: {
            Last: new Date(last ?? now).toISOString(),
            Next: next === undefined ? null : new Date(next).toISOString(),
            LastUpdated: new Date(now).toISOString(),
        },
        IsPastDue: isPastDue,
    });
}

/** Schedules every timerTrigger on the host clock; `fire` is also the admin API's "run now". */
export class TimerTriggers {
    private readonly schedules = new Map<string, Schedule>();
    private readonly last = new Map<string, number>();
    private readonly cancels: Array<() => void> = [];

    constructor(
        private readonly registry: FunctionRegistry,
        private readonly invoker: Invoker,
        private readonly clock: ClockSource,
        private readonly scheduler: Scheduler,
        private readonly onError: (name: string, err: unknown) => void,
    ) {}

    timerFunctions(): RegisteredFunction[] {
        return this.registry.list().filter((f) => f.trigger.type.toLowerCase() === 'timertrigger');
    }

    async start(env: NodeJS.ProcessEnv): Promise<void> {
        const now = await this.clock.now();
        for (const fn of this.timerFunctions()) {
            const expression = typeof fn.trigger.schedule === 'string' ? fn.trigger.schedule : '';
            const schedule = parseSchedule(resolveSetting(expression, env));
            this.schedules.set(fn.name, schedule);
            this.arm(fn, now);
            if (fn.trigger.runOnStartup === true) void this.fire(fn, false);
        }
    }

    private arm(fn: RegisteredFunction, fromMs: number): void {
        const due = this.schedules.get(fn.name)?.next(fromMs);
        if (due === undefined) return;
        this.cancels.push(
            this.scheduler.at(due, () => {
                void this.clock.now().then(async (now) => {
                    // Several occurrences missed (clock jumped): one invocation, flagged past due.
                    const following = this.schedules.get(fn.name)?.next(due);
                    this.arm(fn, now);
                    await this.fire(fn, following !== undefined && following <= now);
                });
            }),
        );
    }

    async fire(fn: RegisteredFunction, isPastDue: boolean): Promise<void> {
        const now = await this.clock.now();
        const last = this.last.get(fn.name);
        this.last.set(fn.name, now);
        const next = this.schedules.get(fn.name)?.next(now);
        try {
            await this.invoker.invoke(fn, { triggerData: { string: timerPayload(isPastDue, last, next, now) } });
        } catch (err) {
            this.onError(fn.name, err);
        }
    }

    close(): void {
        for (const c of this.cancels) c();
    }
}
