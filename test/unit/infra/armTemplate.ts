/**
 * Evaluates a compiled ARM template (the JSON `bicep build` writes) the way Resource Manager would for one set of
 * parameters, so contract tests can read the values a deployment would really produce instead of Bicep text.
 *
 * Covered: the template-expression language the compiler emits for infra/ (functions listed in FUNCTIONS),
 * nested inner-scope deployments (parameters in, outputs back through `reference()`), and `copy` loops.
 * `reference()` to a non-deployment resource answers the runtime properties Azure returns for that resource type
 * (RUNTIME below), derived from the resource name, so a setting that points at the wrong property or resource fails.
 * An expression using a function not listed here throws: extend the evaluator rather than skip the value.
 */
import { createHash } from 'node:crypto';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Value = Json | Lambda;
interface Lambda {
    readonly lambda: { readonly params: readonly string[]; readonly body: Node };
}

type Node =
    | { kind: 'lit'; value: Json }
    | { kind: 'call'; name: string; args: Node[] }
    | { kind: 'prop'; target: Node; key: Node };

export const DEPLOYMENT_CONTEXT = {
    subscriptionId: '00000000-1111-2222-3333-444444444444',
    tenantId: '99999999-8888-7777-6666-555555555555',
    cloud: 'AzureCloud',
};

export interface EvaluatedResource {
    readonly type: string;
    readonly name: string;
    /** Resource id of the resource itself. */
    readonly id: string;
    /** Resource id of the `scope` the resource (an extension resource such as a role assignment) applies to. */
    readonly scope: string | undefined;
    readonly resourceGroup: string | undefined;
    readonly identity: Json | undefined;
    readonly tags: { [key: string]: Json };
    readonly properties: { [key: string]: Json };
    readonly raw: { [key: string]: Json };
    /** Name of the deployment (module) that declares it; '' for the top-level template. */
    readonly deployment: string;
}

export interface EvaluatedDeployment {
    readonly resources: readonly EvaluatedResource[];
    readonly outputs: Readonly<Record<string, Json>>;
    readonly deployments: Readonly<Record<string, EvaluatedDeployment>>;
}

// ---------------------------------------------------------------------------------------------- parser

function parse(text: string): Node {
    let i = 0;
    const ws = () => {
        while (i < text.length && /\s/.test(text[i]!)) i++;
    };
    const expect = (c: string) => {
        ws();
        if (text[i] !== c) throw new Error(`expected '${c}' at ${i} in ${text}`);
        i++;
    };
    const primary = (): Node => {
        ws();
        const c = text[i]!;
        if (c === "'") {
            let s = '';
            i++;
            for (;;) {
                if (i >= text.length) throw new Error(`unterminated string in ${text}`);
                if (text[i] === "'") {
                    if (text[i + 1] === "'") {
                        s += "'";
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                s += text[i++];
            }
            return { kind: 'lit', value: s };
        }
        const num = /^-?\d+/.exec(text.slice(i));
        if (num) {
            i += num[0].length;
            return { kind: 'lit', value: Number(num[0]) };
        }
        const ident = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i));
        if (!ident) throw new Error(`unexpected '${c}' at ${i} in ${text}`);
        i += ident[0].length;
        const name = ident[0];
        expect('(');
        const args: Node[] = [];
        ws();
        if (text[i] === ')') i++;
        else {
            for (;;) {
                args.push(expression());
                ws();
                if (text[i] === ',') {
                    i++;
                    continue;
                }
                expect(')');
                break;
            }
        }
        return { kind: 'call', name, args };
    };
    const expression = (): Node => {
        let node = primary();
        for (;;) {
            ws();
            if (text[i] === '.') {
                i++;
                const key = /^[A-Za-z_$][A-Za-z0-9_$#]*/.exec(text.slice(i));
                if (!key) throw new Error(`bad property at ${i} in ${text}`);
                i += key[0].length;
                node = { kind: 'prop', target: node, key: { kind: 'lit', value: key[0] } };
            } else if (text[i] === '[') {
                i++;
                const key = expression();
                expect(']');
                node = { kind: 'prop', target: node, key };
            } else return node;
        }
    };
    const node = expression();
    ws();
    if (i !== text.length) throw new Error(`trailing text at ${i} in ${text}`);
    return node;
}

const isExpression = (s: string) => s.startsWith('[') && s.endsWith(']') && !s.startsWith('[[');

// ---------------------------------------------------------------------------------------------- runtime

/** What `reference()` returns for resources the templates read properties of, as Azure fills them in. */
const RUNTIME: Record<string, (name: string, location: string) => { properties: Json; identity?: Json }> = {
    'Microsoft.ManagedIdentity/userAssignedIdentities': (name) => ({
        properties: { clientId: fakeGuid(`client:${name}`), principalId: fakeGuid(`principal:${name}`) },
    }),
    'Microsoft.Storage/storageAccounts': (name) => ({
        properties: {
            primaryEndpoints: {
                blob: `https://${name}.blob.core.windows.net/`,
                queue: `https://${name}.queue.core.windows.net/`,
                table: `https://${name}.table.core.windows.net/`,
                file: `https://${name}.file.core.windows.net/`,
            },
        },
    }),
    'Microsoft.KeyVault/vaults': (name) => ({ properties: { vaultUri: `https://${name}.vault.azure.net/` } }),
    'Microsoft.Insights/components': (name) => ({
        properties: {
            ConnectionString: `InstrumentationKey=${fakeGuid(name)};IngestionEndpoint=https://x.in.applicationinsights.azure.com/`,
        },
    }),
    'Microsoft.EventGrid/topics': (name, location) => ({
        properties: { endpoint: `https://${name}.${location}-1.eventgrid.azure.net/api/events` },
    }),
    // Flex Consumption apps may get a unique default host name rather than <name>.azurewebsites.net.
    'Microsoft.Web/sites': (name, location) => ({
        properties: { defaultHostName: `${name}-${fakeGuid(name).slice(0, 8)}.${location}-01.azurewebsites.net` },
    }),
    'Microsoft.EventGrid/systemTopics': (name) => ({
        properties: { metricResourceId: fakeGuid(name) },
        identity: { type: 'SystemAssigned', principalId: fakeGuid(`principal:${name}`) },
    }),
};

/**
 * `environment()` as Resource Manager returns it for the public cloud (Bicep "deployment functions" docs). Note
 * `graph` is the retired Azure AD Graph, which is why a template must not use it for Microsoft Graph.
 */
const ENVIRONMENTS: Record<string, Json> = {
    AzureCloud: {
        name: 'AzureCloud',
        gallery: 'https://gallery.azure.com/',
        graph: 'https://graph.windows.net/',
        portal: 'https://portal.azure.com',
        graphAudience: 'https://graph.windows.net/',
        activeDirectoryDataLake: 'https://datalake.azure.net/',
        batch: 'https://batch.core.windows.net/',
        media: 'https://rest.media.azure.net',
        sqlManagement: 'https://management.core.windows.net:8443/',
        vmImageAliasDoc: '',
        resourceManager: 'https://management.azure.com/',
        authentication: {
            loginEndpoint: 'https://login.microsoftonline.com/',
            audiences: ['https://management.core.windows.net/', 'https://management.azure.com/'],
            tenant: 'common',
            identityProvider: 'AAD',
        },
        suffixes: {
            acrLoginServer: '.azurecr.io',
            azureDatalakeAnalyticsCatalogAndJob: 'azuredatalakeanalytics.net',
            azureDatalakeStoreFileSystem: 'azuredatalakestore.net',
            azureFrontDoorEndpointSuffix: 'azurefd.net',
            keyvaultDns: '.vault.azure.net',
            sqlServerHostname: '.database.windows.net',
            storage: 'core.windows.net',
        },
    },
};

function fakeGuid(seed: string): string {
    const h = createHash('sha256').update(seed).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** ARM's uniqueString: 13 characters of base32 over the joined inputs (our value differs, the shape does not). */
function uniqueString(...parts: string[]): string {
    const h = createHash('sha256').update(parts.join('-')).digest();
    const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
    return Array.from(h.subarray(0, 13), (b) => alphabet[b % 32]).join('');
}

function armGuid(...parts: string[]): string {
    return fakeGuid(`guid:${parts.join('|')}`);
}

interface Scope {
    readonly subscriptionId: string;
    readonly resourceGroup: string | undefined;
    readonly location: string;
}

interface Context {
    readonly template: { [key: string]: Json };
    readonly parameters: Record<string, Json>;
    readonly variables: Map<string, Json>;
    readonly scope: Scope;
    readonly children: Map<string, () => EvaluatedDeployment>;
    readonly lambdaVars: Map<string, Value>;
    readonly copyIndex: Map<string, number>;
    readonly currentCopy: string | undefined;
}

function resourceIdOf(scope: Scope, type: string, names: string[]): string {
    const segments = type.split('/');
    const provider = segments[0]!;
    let path = `${provider}/${segments[1]}/${names[0]}`;
    for (let k = 2; k < segments.length; k++) path += `/${segments[k]}/${names[k - 1]}`;
    const base = `/subscriptions/${scope.subscriptionId}`;
    if (type === 'Microsoft.Resources/resourceGroups') return `${base}/resourceGroups/${names[0]}`;
    return scope.resourceGroup === undefined
        ? `${base}/providers/${path}`
        : `${base}/resourceGroups/${scope.resourceGroup}/providers/${path}`;
}

/** Type and name of the last provider segment of a resource id. */
function parseResourceId(id: string): { type: string; name: string } {
    const at = id.lastIndexOf('/providers/');
    const parts = id.slice(at + '/providers/'.length).split('/');
    const typeParts = [parts[0]!, parts[1]!];
    const nameParts = [parts[2]!];
    for (let k = 3; k + 1 < parts.length; k += 2) {
        typeParts.push(parts[k]!);
        nameParts.push(parts[k + 1]!);
    }
    return { type: typeParts.join('/'), name: nameParts.join('/') };
}

function str(v: Value): string {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new Error(`expected a string, got ${JSON.stringify(v)}`);
}

function obj(v: Value): { [key: string]: Json } {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && !('lambda' in v)) return v;
    throw new Error(`expected an object, got ${JSON.stringify(v)}`);
}

function evaluate(node: Node, ctx: Context): Value {
    if (node.kind === 'lit') return node.value;
    if (node.kind === 'prop') {
        const target = evaluate(node.target, ctx);
        const key = evaluate(node.key, ctx);
        if (Array.isArray(target)) return at(target[Number(key)], `[${JSON.stringify(key)}]`);
        const o = obj(target);
        const k = str(key);
        // ARM property access is case-insensitive.
        const found = Object.keys(o).find((name) => name.toLowerCase() === k.toLowerCase());
        if (found === undefined) throw new Error(`property '${k}' does not exist on ${JSON.stringify(o)}`);
        return o[found]!;
    }
    const name = node.name.toLowerCase();
    if (name === 'lambda') {
        const params = node.args.slice(0, -1).map((a) => str(evaluate(a, ctx)));
        return { lambda: { params, body: node.args[node.args.length - 1]! } };
    }
    if (name === 'if') {
        return evaluate(node.args[0]!, ctx) === true ? evaluate(node.args[1]!, ctx) : evaluate(node.args[2]!, ctx);
    }
    const args = node.args.map((a) => evaluate(a, ctx));
    const fn = FUNCTIONS[name];
    if (!fn) throw new Error(`ARM function ${node.name}() is not supported by the test evaluator`);
    return fn(args, ctx);
}

function at(v: Json | undefined, where: string): Json {
    if (v === undefined) throw new Error(`no element ${where}`);
    return v;
}

const FUNCTIONS: Record<string, (args: Value[], ctx: Context) => Value> = {
    parameters: ([n], ctx) => {
        const name = str(n!);
        if (!(name in ctx.parameters)) throw new Error(`parameter '${name}' has no value`);
        return ctx.parameters[name]!;
    },
    variables: ([n], ctx) => variable(str(n!), ctx),
    format: ([f, ...rest]) => str(f!).replace(/\{(\d+)\}/g, (_, k: string) => str(rest[Number(k)]!)),
    concat: (args) => (args.every(Array.isArray) ? (args as Json[][]).flat() : args.map((a) => str(a)).join('')),
    string: ([v]) => (typeof v === 'string' ? v : JSON.stringify(v)),
    take: ([v, n]) => (typeof v === 'string' ? v.slice(0, Number(n)) : (v as Json[]).slice(0, Number(n))),
    tolower: ([v]) => str(v!).toLowerCase(),
    toupper: ([v]) => str(v!).toUpperCase(),
    length: ([v]) => (typeof v === 'string' ? v.length : Array.isArray(v) ? v.length : Object.keys(obj(v!)).length),
    empty: ([v]) =>
        v === null ||
        v === '' ||
        (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && Object.keys(v).length === 0),
    equals: ([a, b]) => JSON.stringify(a) === JSON.stringify(b),
    not: ([a]) => a !== true,
    and: (args) => args.every((a) => a === true),
    or: (args) => args.some((a) => a === true),
    true: () => true,
    false: () => false,
    null: () => null,
    createobject: (args) => {
        const o: { [key: string]: Json } = {};
        for (let k = 0; k + 1 < args.length; k += 2) o[str(args[k]!)] = args[k + 1] as Json;
        return o;
    },
    createarray: (args) => args as Json[],
    union: (args) => Object.assign({}, ...args.map(obj)) as Json,
    items: ([v]) => Object.entries(obj(v!)).map(([key, value]) => ({ key, value })),
    map: ([arr, fn], ctx) => (arr as Json[]).map((item) => callLambda(fn!, [item], ctx) as Json),
    lambdavariables: ([n], ctx) => {
        const name = str(n!);
        if (!ctx.lambdaVars.has(name)) throw new Error(`lambda variable ${name} is not bound`);
        return ctx.lambdaVars.get(name)!;
    },
    uniquestring: (args) => uniqueString(...args.map(str)),
    guid: (args) => armGuid(...args.map(str)),
    tenant: () => ({ tenantId: DEPLOYMENT_CONTEXT.tenantId }),
    subscription: (_args, ctx) => ({
        id: `/subscriptions/${ctx.scope.subscriptionId}`,
        subscriptionId: ctx.scope.subscriptionId,
        tenantId: DEPLOYMENT_CONTEXT.tenantId,
    }),
    resourcegroup: (_args, ctx) => {
        if (ctx.scope.resourceGroup === undefined) throw new Error('resourceGroup() outside a resource group');
        return {
            id: `/subscriptions/${ctx.scope.subscriptionId}/resourceGroups/${ctx.scope.resourceGroup}`,
            name: ctx.scope.resourceGroup,
            location: ctx.scope.location,
        };
    },
    environment: () => ENVIRONMENTS[DEPLOYMENT_CONTEXT.cloud] ?? { name: DEPLOYMENT_CONTEXT.cloud },
    deployment: () => ({ name: 'test-deployment' }),
    copyindex: (args, ctx) => {
        const loop = typeof args[0] === 'string' ? args[0] : ctx.currentCopy;
        const offset = typeof args[args.length - 1] === 'number' ? Number(args[args.length - 1]) : 0;
        if (loop === undefined || !ctx.copyIndex.has(loop)) throw new Error('copyIndex() outside a copy loop');
        return ctx.copyIndex.get(loop)! + offset;
    },
    resourceid: (args, ctx) => {
        const parts = args.map(str);
        const typeAt = parts.findIndex((p) => p.includes('/'));
        const scope =
            typeAt === 1
                ? { ...ctx.scope, resourceGroup: parts[0] }
                : typeAt === 2
                  ? { ...ctx.scope, subscriptionId: parts[0]!, resourceGroup: parts[1] }
                  : ctx.scope;
        return resourceIdOf(scope, parts[typeAt]!, parts.slice(typeAt + 1));
    },
    subscriptionresourceid: (args, ctx) => {
        const parts = args.map(str);
        return resourceIdOf({ ...ctx.scope, resourceGroup: undefined }, parts[0]!, parts.slice(1));
    },
    extensionresourceid: (args) => {
        const [scopeId, type, ...names] = args.map(str);
        const segments = type!.split('/');
        let path = `${segments[0]}/${segments[1]}/${names[0]}`;
        for (let k = 2; k < segments.length; k++) path += `/${segments[k]}/${names[k - 1]}`;
        return `${scopeId}/providers/${path}`;
    },
    reference: ([id, , full], ctx) => {
        const resourceId = str(id!);
        const { type, name } = parseResourceId(resourceId);
        if (type === 'Microsoft.Resources/deployments') {
            const child = ctx.children.get(name);
            if (!child) throw new Error(`reference to unknown deployment ${name}`);
            const outputs = Object.fromEntries(Object.entries(child().outputs).map(([k, v]) => [k, { value: v }]));
            const value: Json = full === 'full' ? { properties: { outputs } } : { outputs };
            return value;
        }
        const runtime = RUNTIME[type];
        if (!runtime) throw new Error(`no runtime properties known for ${type} (reference to ${resourceId})`);
        const r = runtime(name.split('/').pop()!, ctx.scope.location);
        const value: Json = full === 'full' ? { properties: r.properties, identity: r.identity ?? null } : r.properties;
        return value;
    },
};

function callLambda(fn: Value, args: Value[], ctx: Context): Value {
    if (fn === null || typeof fn !== 'object' || Array.isArray(fn) || !('lambda' in fn))
        throw new Error('expected a lambda');
    const { params, body } = (fn as Lambda).lambda;
    const lambdaVars = new Map(ctx.lambdaVars);
    params.forEach((p, k) => lambdaVars.set(p, args[k]!));
    return evaluate(body, { ...ctx, lambdaVars });
}

function variable(name: string, ctx: Context): Json {
    if (ctx.variables.has(name)) return ctx.variables.get(name)!;
    const vars = obj(ctx.template['variables'] ?? {});
    if (!(name in vars)) throw new Error(`variable '${name}' is not declared`);
    const value = resolve(vars[name]!, ctx);
    ctx.variables.set(name, value);
    return value;
}

/** Evaluates every expression inside a JSON value. */
function resolve(value: Json, ctx: Context): Json {
    if (typeof value === 'string')
        return isExpression(value)
            ? (evaluate(parse(value.slice(1, -1)), ctx) as Json)
            : value.startsWith('[[')
              ? value.slice(1)
              : value;
    if (Array.isArray(value)) return value.map((v) => resolve(v, ctx));
    if (value !== null && typeof value === 'object') {
        const out: { [key: string]: Json } = {};
        for (const [k, v] of Object.entries(value)) out[str(resolve(k, ctx))] = resolve(v, ctx);
        return out;
    }
    return value;
}

// ---------------------------------------------------------------------------------------------- deployments

/**
 * Evaluates `template` with `parameters` (missing ones take their template default). Nested deployments with
 * inner expression scope are evaluated with the parameters their parent passes, and their outputs flow back.
 */
export function evaluateTemplate(
    template: { [key: string]: Json },
    parameters: Record<string, Json>,
    scope: Scope = {
        subscriptionId: DEPLOYMENT_CONTEXT.subscriptionId,
        resourceGroup: undefined,
        location: 'westeurope',
    },
    deploymentName = '',
): EvaluatedDeployment {
    const declared = obj(template['parameters'] ?? {});
    const unknown = Object.keys(parameters).filter((p) => !(p in declared));
    if (unknown.length > 0)
        throw new Error(`template ${deploymentName || 'main'} has no parameters ${unknown.join(', ')}`);
    const params: Record<string, Json> = {};
    const ctx: Context = {
        template,
        parameters: params,
        variables: new Map(),
        scope,
        children: new Map(),
        lambdaVars: new Map(),
        copyIndex: new Map(),
        currentCopy: undefined,
    };
    for (const [name, decl] of Object.entries(declared)) {
        const d = obj(decl);
        if (name in parameters) params[name] = parameters[name]!;
        else if ('defaultValue' in d) params[name] = resolve(d['defaultValue'], ctx);
        else throw new Error(`template ${deploymentName || 'main'}: parameter '${name}' is required and has no value`);
        const allowed = d['allowedValues'];
        if (Array.isArray(allowed) && !allowed.some((a) => JSON.stringify(a) === JSON.stringify(params[name]))) {
            throw new Error(`parameter '${name}' = ${JSON.stringify(params[name])} is not an allowed value`);
        }
        const v = params[name];
        if (typeof v === 'string') {
            if (typeof d['minLength'] === 'number' && v.length < d['minLength'])
                throw new Error(`parameter '${name}' is shorter than ${d['minLength']}`);
            if (typeof d['maxLength'] === 'number' && v.length > d['maxLength'])
                throw new Error(`parameter '${name}' is longer than ${d['maxLength']}`);
        }
    }

    const raw = template['resources'];
    if (!Array.isArray(raw)) throw new Error('symbolic-name templates (languageVersion 2.0) are not supported');
    const resources: EvaluatedResource[] = [];
    const deployments: Record<string, EvaluatedDeployment> = {};
    const instances: { resource: { [key: string]: Json }; ctx: Context }[] = [];
    for (const r of raw) {
        const resource = obj(r);
        const copy = resource['copy'];
        if (copy) {
            const c = obj(copy);
            const loop = str(c['name']!);
            const count = Number(resolve(c['count']!, ctx));
            for (let k = 0; k < count; k++) {
                instances.push({
                    resource,
                    ctx: { ...ctx, copyIndex: new Map([...ctx.copyIndex, [loop, k]]), currentCopy: loop },
                });
            }
        } else instances.push({ resource, ctx });
    }
    // Register nested deployments first so reference() to their outputs resolves on demand.
    for (const { resource, ctx: c } of instances) {
        if (resource['type'] !== 'Microsoft.Resources/deployments') continue;
        const name = str(resolve(resource['name']!, c));
        let memo: EvaluatedDeployment | undefined;
        ctx.children.set(name, () => {
            memo ??= evaluateChild(resource, c, name);
            return memo;
        });
    }
    for (const { resource, ctx: c } of instances) {
        if (resource['condition'] !== undefined && resolve(resource['condition'], c) !== true) continue;
        const type = str(resource['type']!);
        const name = str(resolve(resource['name']!, c));
        if (type === 'Microsoft.Resources/deployments') {
            const child = ctx.children.get(name)!();
            deployments[name] = child;
            resources.push(...child.resources);
            continue;
        }
        const rgName =
            typeof resource['resourceGroup'] === 'string'
                ? str(resolve(resource['resourceGroup'], c))
                : scope.resourceGroup;
        const ownScope = { ...scope, resourceGroup: rgName };
        const scopeId = resource['scope'] === undefined ? undefined : str(resolve(resource['scope'], c));
        const id =
            scopeId !== undefined
                ? `${scopeId}/providers/${type}/${name}`
                : resourceIdOf(ownScope, type, name.split('/'));
        resources.push({
            type,
            name,
            id,
            scope: scopeId,
            resourceGroup: rgName,
            identity: resource['identity'] === undefined ? undefined : resolve(resource['identity'], c),
            tags: resource['tags'] === undefined ? {} : obj(resolve(resource['tags'], c)),
            properties: resource['properties'] === undefined ? {} : obj(resolve(resource['properties'], c)),
            raw: resource,
            deployment: deploymentName,
        });
    }
    const outputs: Record<string, Json> = {};
    for (const [name, decl] of Object.entries(obj(template['outputs'] ?? {}))) {
        outputs[name] = resolve(obj(decl)['value']!, ctx);
    }
    return { resources, outputs, deployments };
}

function evaluateChild(resource: { [key: string]: Json }, ctx: Context, name: string): EvaluatedDeployment {
    const props = obj(resource['properties']!);
    const options = obj(props['expressionEvaluationOptions'] ?? {});
    if (options['scope'] !== 'inner') throw new Error(`deployment ${name} does not use inner expression scope`);
    const passed: Record<string, Json> = {};
    for (const [k, v] of Object.entries(obj(props['parameters'] ?? {}))) passed[k] = resolve(obj(v)['value']!, ctx);
    const rg =
        resource['resourceGroup'] === undefined
            ? ctx.scope.resourceGroup
            : str(resolve(resource['resourceGroup'], ctx));
    return evaluateTemplate(obj(props['template']!), passed, { ...ctx.scope, resourceGroup: rg }, name);
}
