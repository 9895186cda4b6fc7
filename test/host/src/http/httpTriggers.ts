import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FunctionRegistry, RegisteredFunction } from '../core/coreShim';
import type { Invoker } from '../core/invoke';
import { authorized, presentedKey, type HostKeys } from './keys';
import { matchRoute, parseRoute, routePrecedence, type RouteTemplate } from './routes';
import { readBody, sendText } from './util';

interface HttpFunction {
    fn: RegisteredFunction;
    route: RouteTemplate;
    methods: string[] | undefined;
    authLevel: string;
}

/** Serves `/<routePrefix>/<route>` for every httpTrigger function (default route = function name). */
export class HttpTriggerRouter {
    private readonly functions: HttpFunction[];

    constructor(
        registry: FunctionRegistry,
        private readonly invoker: Invoker,
        private readonly keys: HostKeys,
        readonly routePrefix: string,
    ) {
        this.functions = registry
            .list()
            .filter((f) => f.trigger.type.toLowerCase() === 'httptrigger')
            .map((fn) => ({
                fn,
                route: parseRoute(typeof fn.trigger.route === 'string' ? fn.trigger.route : fn.name),
                methods: Array.isArray(fn.trigger.methods)
                    ? (fn.trigger.methods as string[]).map((m) => m.toUpperCase())
                    : undefined,
                authLevel: typeof fn.trigger.authLevel === 'string' ? fn.trigger.authLevel : 'function',
            }))
            .sort((a, b) => routePrecedence(b.route) - routePrecedence(a.route));
    }

    /** Returns false when the path is not under the route prefix (so other handlers may try). */
    async handle(req: IncomingMessage, res: ServerResponse, url: URL, path: string[]): Promise<boolean> {
        const prefix = this.routePrefix.split('/').filter((s) => s.length > 0);
        if (!prefix.every((p, i) => path[i]?.toLowerCase() === p.toLowerCase())) return false;
        const rest = path.slice(prefix.length);
        const method = (req.method ?? 'GET').toUpperCase();
        let methodMismatch = false;
        for (const candidate of this.functions) {
            const params = matchRoute(candidate.route, rest);
            if (!params) continue;
            if (candidate.methods && !candidate.methods.includes(method)) {
                methodMismatch = true;
                continue;
            }
            if (!authorized(this.keys, candidate.authLevel, candidate.fn.name, presentedKey(req, url))) {
                sendText(res, 401);
                return true;
            }
            await this.invoke(candidate.fn, req, res, url, params);
            return true;
        }
        sendText(res, methodMismatch ? 405 : 404);
        return true;
    }

    private async invoke(
        fn: RegisteredFunction,
        req: IncomingMessage,
        res: ServerResponse,
        url: URL,
        params: Record<string, string>,
    ): Promise<void> {
        const body = await readBody(req);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) {
            if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        }
        const query: Record<string, string> = {};
        for (const [k, v] of url.searchParams) query[k] = v;
        let response;
        try {
            response = await this.invoker.invoke(fn, {
                triggerData: {
                    http: {
                        method: req.method ?? 'GET',
                        url: url.href,
                        headers,
                        query,
                        params,
                        body: body.length > 0 ? { bytes: new Uint8Array(body) } : undefined,
                    },
                },
            });
        } catch (err) {
            sendText(res, 500, `Exception while executing function: Functions.${fn.name}`);
            this.onError(fn, err);
            return;
        }
        const http = response.returnValue?.http;
        if (!http) {
            // Assumption: no HTTP result behaves like an empty success.
            sendText(res, 204);
            return;
        }
        const outHeaders: Record<string, string> = { ...(http.headers ?? {}) };
        const bodyData = http.body;
        const payload = bodyData?.bytes
            ? Buffer.from(bodyData.bytes)
            : Buffer.from(bodyData?.string ?? bodyData?.json ?? '', 'utf8');
        res.writeHead(Number(http.statusCode ?? '200'), outHeaders);
        res.end(payload);
    }

    onError: (fn: RegisteredFunction, err: unknown) => void = () => {};
}
