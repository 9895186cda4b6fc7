import type { WireRetryOptions } from './actions';

/** The engine services host tasks need: the replay-time clock and durable timers. */
export interface TaskHost {
    readonly now: number;
    timerAt(fireAtMs: number): HostTask;
}

/** A unit of host-side orchestration work that completes when history says so. */
export abstract class HostTask {
    done = false;
    ok = true;
    private listeners: Array<() => void> = [];

    abstract start(): void;

    /** Sequence ids of durable timers this task created (for cancellation). */
    timerIds(): number[] {
        return [];
    }

    whenDone(listener: () => void): void {
        if (this.done) listener();
        else this.listeners.push(listener);
    }

    protected finish(ok: boolean): void {
        if (this.done) return;
        this.done = true;
        this.ok = ok;
        const listeners = this.listeners;
        this.listeners = [];
        for (const l of listeners) l();
    }
}

/** A task whose start is delegated; `begin` gets the completion callback and returns its sequence id, if any. */
export class DelegateTask extends HostTask {
    private readonly ids: number[] = [];

    constructor(
        private readonly begin: (complete: (ok: boolean) => void) => number | undefined,
        private readonly isTimer = false,
    ) {
        super();
    }

    start(): void {
        const id = this.begin((ok) => this.finish(ok));
        if (id !== undefined && this.isTimer) this.ids.push(id);
    }

    override timerIds(): number[] {
        return this.ids;
    }
}

/**
 * DTFx `RetryInterceptor`: attempt, and after every failure (the last included) wait on a timer of the computed
 * delay; stop without a timer if the delay is zero (retry timeout passed). The SDK's `RetryableTask` mirrors the
 * id usage (attempt, timer, attempt, ...), verified in durable-functions 3.5.0 `lib/src/task/RetryableTask.js`.
 */
export class RetryTask extends HostTask {
    private attempt = 0;
    private firstAttemptMs = 0;

    constructor(
        private readonly host: TaskHost,
        private readonly makeAttempt: () => HostTask,
        private readonly options: WireRetryOptions,
        private readonly nextDelay: (o: WireRetryOptions, attempt: number, first: number, now: number) => number,
    ) {
        super();
    }

    start(): void {
        this.firstAttemptMs = this.host.now;
        this.runAttempt();
    }

    private runAttempt(): void {
        const task = this.makeAttempt();
        task.start();
        task.whenDone(() => {
            if (task.ok) {
                this.finish(true);
                return;
            }
            const delay = this.nextDelay(this.options, this.attempt, this.firstAttemptMs, this.host.now);
            if (delay <= 0) {
                this.finish(false);
                return;
            }
            const timer = this.host.timerAt(this.host.now + delay);
            timer.start();
            timer.whenDone(() => {
                this.attempt++;
                if (this.attempt < this.options.maxNumberOfAttempts) this.runAttempt();
                else this.finish(false);
            });
        });
    }
}

/**
 * Long durable timers (Durable extension `DurableOrchestrationContext.CreateTimer` for Azure Storage): segments of
 * `longRunningTimerInterval` until the remainder fits in `maximumShortTimerDuration`; after each segment fires, a new
 * one starts while the final fire time is still in the future. Same rule as the SDK's `LongTimerTask.trySetValue`.
 */
export class TimerChain extends HostTask {
    private readonly segments: HostTask[] = [];

    constructor(
        private readonly host: TaskHost,
        private readonly fireAtMs: number,
        private readonly settings: { maxShortTimerMs: number; longTimerIntervalMs: number },
    ) {
        super();
    }

    start(): void {
        const remaining = this.fireAtMs - this.host.now;
        const segmentEnd =
            remaining > this.settings.maxShortTimerMs
                ? this.host.now + this.settings.longTimerIntervalMs
                : this.fireAtMs;
        const segment = this.host.timerAt(segmentEnd);
        this.segments.push(segment);
        segment.start();
        segment.whenDone(() => {
            if (this.fireAtMs > this.host.now) this.start();
            else this.finish(true);
        });
    }

    override timerIds(): number[] {
        return this.segments.flatMap((s) => s.timerIds());
    }
}

/**
 * Task.all as the extension replays it: .NET `Task.WhenAll` over the children (verified in
 * `OutOfProcOrchestrationShim.InvokeAPIFromAction`), so the next action starts only after every child finished,
 * even when one failed early (the SDK's WhenAllTask resumes user code at the first failure).
 */
export class WhenAll extends HostTask {
    constructor(private readonly children: HostTask[]) {
        super();
    }

    start(): void {
        for (const child of this.children) child.start();
        const check = (): void => {
            if (this.children.every((c) => c.done)) this.finish(this.children.every((c) => c.ok));
        };
        if (this.children.length === 0) this.finish(true);
        for (const child of this.children) child.whenDone(check);
    }
}

/** Task.any: done when the first child is done, whatever its outcome. */
export class WhenAny extends HostTask {
    constructor(private readonly children: HostTask[]) {
        super();
    }

    start(): void {
        for (const child of this.children) child.start();
        for (const child of this.children) child.whenDone(() => this.finish(true));
    }
}
