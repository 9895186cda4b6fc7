/**
 * Fault injection for reliability tests. Each switch is optionally limited to one activity name
 * (case-insensitive); `undefined` means "any activity".
 */
export interface ChaosState {
    /** Run the next matching activity twice (duplicate delivery); the second result is the one recorded. */
    duplicateNext: { activity?: string; remaining: number };
    /** After the next matching activity's side effect, stop the host before its result is recorded. */
    crashAfterNext: { activity?: string; armed: boolean };
    /** Fail the next N matching activity calls without running them. */
    failNext: { activity?: string; remaining: number; message: string };
}

export interface ChaosSettings {
    duplicate?: { activity?: string; count?: number };
    crashAfter?: { activity?: string };
    fail?: { activity?: string; count: number; message?: string };
}

const matches = (filter: string | undefined, name: string): boolean =>
    filter === undefined || filter.toLowerCase() === name.toLowerCase();

export class Chaos {
    readonly state: ChaosState = {
        duplicateNext: { remaining: 0 },
        crashAfterNext: { armed: false },
        failNext: { remaining: 0, message: 'Injected failure (chaos)' },
    };

    /** Counters tests can assert on. */
    readonly stats = { duplicated: 0, crashed: 0, injectedFailures: 0 };

    runTwice(activity?: string, count = 1): void {
        this.state.duplicateNext = { activity, remaining: count };
    }

    crashAfterSideEffect(activity?: string): void {
        this.state.crashAfterNext = { activity, armed: true };
    }

    failNext(count: number, activity?: string, message = 'Injected failure (chaos)'): void {
        this.state.failNext = { activity, remaining: count, message };
    }

    reset(): void {
        this.runTwice(undefined, 0);
        this.state.crashAfterNext = { armed: false };
        this.failNext(0);
    }

    apply(settings: ChaosSettings): void {
        if (settings.duplicate) this.runTwice(settings.duplicate.activity, settings.duplicate.count ?? 1);
        if (settings.crashAfter) this.crashAfterSideEffect(settings.crashAfter.activity);
        if (settings.fail) this.failNext(settings.fail.count, settings.fail.activity, settings.fail.message);
    }

    /** Consumes one injected failure for this call, if any. */
    takeFailure(activity: string): string | undefined {
        const f = this.state.failNext;
        if (f.remaining > 0 && matches(f.activity, activity)) {
            f.remaining--;
            this.stats.injectedFailures++;
            return f.message;
        }
        return undefined;
    }

    takeDuplicate(activity: string): boolean {
        const d = this.state.duplicateNext;
        if (d.remaining > 0 && matches(d.activity, activity)) {
            d.remaining--;
            this.stats.duplicated++;
            return true;
        }
        return false;
    }

    takeCrash(activity: string): boolean {
        const c = this.state.crashAfterNext;
        if (c.armed && matches(c.activity, activity)) {
            c.armed = false;
            this.stats.crashed++;
            return true;
        }
        return false;
    }
}
