import { type Context, type Middleware, type MiddlewareOptions } from '@microsoft/microsoft-graph-client';

/** A request's wish to hear when it leaves graph-client's middleware chain for the network. */
export class DispatchSignalOptions implements MiddlewareOptions {
    constructor(readonly onDispatch: () => void) {}
}

/**
 * Last before the transport: tells a request that asked (DispatchSignalOptions) that it is being sent. A request
 * passes several asynchronous steps (token, retry, redirect, telemetry) before it is sent, so one started just
 * before a long stretch of synchronous work would only go out after it; the scan waits for this signal instead.
 */
export class DispatchSignalHandler implements Middleware {
    private next: Middleware | undefined;

    execute(context: Context): Promise<void> {
        const options = context.middlewareControl?.getMiddlewareOptions(DispatchSignalOptions);
        if (options instanceof DispatchSignalOptions) options.onDispatch();
        if (!this.next) throw new Error('DispatchSignalHandler must not be the last middleware');
        return this.next.execute(context);
    }

    setNext(next: Middleware): void {
        this.next = next;
    }
}
