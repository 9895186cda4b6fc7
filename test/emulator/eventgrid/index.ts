import { randomBytes } from 'node:crypto';

import {
    type EmuRequest,
    type EmuResponse,
    type EmulatorClock,
    type EmulatorContext,
    type ServiceModule,
} from '../core/contract';
import { egError } from './errors';
import { Deliverer, type DeliveryAttempt, type Subscription } from './delivery';
import { publishToTopic, TOPIC_ID, type PublishedEvent } from './topic';
import { controlTopicAccess } from './topicControl';
import { assignSender, type SenderAssignment, type TopicAccess } from './topicAuth';
import { createSubscription, matchesSubscription } from './subscriptions';

/** The Event Grid service: a custom topic endpoint plus the Key Vault system topic's webhook deliveries. */
export interface EventGridModule extends ServiceModule {
    /** The custom topic's `aeg-sas-key` (for the ready line's `eventGrid.topicKey`). Survives restore. */
    readonly topicKey: string;
    /** An event of the Key Vault system topic (EventGrid schema), delivered to matching subscriptions. */
    publishSystemEvent(event: object): void;
    /** Deliver every notification twice (at-least-once delivery made visible). */
    setDuplicateDelivery(enabled: boolean): void;
    /** Resolves when no delivery or retry is pending (tests, orderly shutdown). */
    whenIdle(): Promise<void>;
    /** Cancels pending deliveries and retries; call on emulator close. */
    dispose(): void;
}

export interface EventGridOptions {
    /** Scale of Event Grid's retry schedule (default 0.01: 10 s → 100 ms). */
    readonly retryTimeScale?: number;
    /** Per-request deadline for webhook deliveries and the handshake (default 30 s, as in Azure). */
    readonly deliveryTimeoutMs?: number;
}

interface EventGridSnapshot {
    readonly topicKey: string;
    readonly disableLocalAuth?: boolean;
    readonly senders?: SenderAssignment[];
    readonly published: PublishedEvent[];
    readonly systemEvents: Record<string, unknown>[];
    readonly subscriptions: Subscription[];
}

const MAX_KEPT = 10_000;
const json = (status: number, body: unknown): EmuResponse => ({ status, body });
const controlError = (status: number, message: string): EmuResponse =>
    json(status, { error: { code: status === 404 ? 'NotFound' : 'BadRequest', message } });

function keep<T>(list: T[], items: readonly T[]): void {
    list.push(...items);
    if (list.length > MAX_KEPT) list.splice(0, list.length - MAX_KEPT);
}

export function createEventGridModule(options: EventGridOptions = {}): EventGridModule {
    const timeoutMs = options.deliveryTimeoutMs ?? 30_000;
    let clock: EmulatorClock | undefined;
    const deliverer = new Deliverer({
        retryTimeScale: options.retryTimeScale ?? 0.01,
        timeoutMs,
        now: () => clock?.now() ?? new Date(),
    });
    // A real topic key: 32 random bytes, base64.
    const access: TopicAccess = { topicKey: randomBytes(32).toString('base64'), disableLocalAuth: false, senders: [] };
    const published: PublishedEvent[] = [];
    const systemEvents: Record<string, unknown>[] = [];
    const subscriptions = new Map<string, Subscription>();

    async function control(
        subPath: string,
        request: EmuRequest,
        context: EmulatorContext,
    ): Promise<EmuResponse | undefined> {
        const method = request.method.toUpperCase();
        const type = request.query.get('type');
        const byType = (eventType: unknown) => type === null || eventType === type;
        if (subPath === '/events' && method === 'GET') {
            return json(200, { value: published.filter((p) => byType(p.event.eventType ?? p.event.type)) });
        }
        if (subPath === '/systemEvents' && method === 'GET') {
            return json(200, { value: systemEvents.filter((e) => byType(e.eventType)) });
        }
        const topicControl = controlTopicAccess(subPath, method, request.body, access);
        if (topicControl !== undefined) {
            if (method !== 'GET') context.markDirty();
            return topicControl;
        }
        if (subPath === '/deadLetters' && method === 'GET') {
            return json(200, { value: deliverer.deadLetters });
        }
        if (subPath === '/deliveries' && method === 'GET') {
            return json(200, { value: deliverer.log });
        }
        if (subPath === '/subscriptions' && method === 'GET') {
            return json(200, { value: [...subscriptions.values()].map(view) });
        }
        if (subPath === '/subscriptions' && method === 'POST') {
            const created = await createSubscription(request.body, context, timeoutMs);
            if ('error' in created) return controlError(400, created.error);
            subscriptions.set(created.id, created);
            context.markDirty();
            return json(201, view(created));
        }
        const match = /^\/subscriptions\/([^/]+)$/.exec(subPath);
        if (match?.[1] !== undefined && method === 'DELETE') {
            if (!subscriptions.delete(match[1])) return controlError(404, 'No such subscription.');
            context.markDirty();
            return { status: 204 };
        }
        if (subPath === '/validate' && method === 'GET') {
            const subscription = subscriptions.get(request.query.get('id') ?? '');
            if (subscription === undefined || subscription.validationCode !== request.query.get('code')) {
                return controlError(404, 'Unknown or expired validation URL.');
            }
            subscription.provisioningState = 'Succeeded';
            context.markDirty();
            return {
                status: 200,
                headers: { 'content-type': 'text/plain; charset=utf-8' },
                body: Buffer.from('Webhook successfully validated as a part of the subscription validation handshake.'),
            };
        }
        return undefined;
    }

    return {
        name: 'eventGrid',
        get topicKey() {
            return access.topicKey;
        },
        matches: (request) => request.path === '/api/events',
        handle(request, context) {
            const result = publishToTopic(request, context, access);
            if (result.events !== undefined) {
                keep(published, result.events);
                context.markDirty();
            }
            return Promise.resolve(result.response);
        },
        control,
        formatError: (status, code, message) => egError(status, code, message),
        publishSystemEvent(event) {
            const record = event as Record<string, unknown>;
            keep(systemEvents, [record]);
            for (const subscription of subscriptions.values()) {
                if (matchesSubscription(subscription, record.eventType)) deliverer.deliver(subscription, record);
            }
        },
        setDuplicateDelivery(enabled) {
            deliverer.duplicate = enabled;
        },
        whenIdle: () => deliverer.whenIdle(),
        dispose: () => deliverer.cancelAll(),
        stateView: () => ({
            topicEndpointPath: '/api/events',
            topic: TOPIC_ID,
            publishedEvents: published.length,
            systemEvents: systemEvents.length,
            duplicateDelivery: deliverer.duplicate,
            disableLocalAuth: access.disableLocalAuth,
            senders: access.senders,
            subscriptions: [...subscriptions.values()].map(view),
        }),
        snapshot: (): EventGridSnapshot => ({
            topicKey: access.topicKey,
            disableLocalAuth: access.disableLocalAuth,
            senders: [...access.senders],
            published: [...published],
            systemEvents: [...systemEvents],
            subscriptions: [...subscriptions.values()],
        }),
        restore(data, context) {
            clock = context.clock;
            const snapshot = data as Partial<EventGridSnapshot> | undefined;
            if (snapshot?.topicKey === undefined) {
                this.reset(context);
                return;
            }
            deliverer.cancelAll();
            access.topicKey = snapshot.topicKey;
            access.disableLocalAuth = snapshot.disableLocalAuth ?? false;
            access.senders = [...(snapshot.senders ?? [])];
            published.splice(0, published.length, ...(snapshot.published ?? []));
            systemEvents.splice(0, systemEvents.length, ...(snapshot.systemEvents ?? []));
            subscriptions.clear();
            for (const s of snapshot.subscriptions ?? []) {
                // Snapshots from before these fields existed default to a plain webhook.
                const restored: Partial<Subscription> = s;
                subscriptions.set(s.id, {
                    ...s,
                    endpointType: restored.endpointType ?? 'WebHook',
                    deadLetter: restored.deadLetter ?? false,
                });
            }
        },
        reset(context) {
            clock = context.clock;
            access.disableLocalAuth = false;
            access.senders = [];
            assignSender(access, context.admin.servicePrincipalId);
            deliverer.cancelAll();
            deliverer.deadLetters.length = 0;
            deliverer.duplicate = false;
            deliverer.log.length = 0;
            published.length = 0;
            systemEvents.length = 0;
            subscriptions.clear();
        },
    };
}

function view(subscription: Subscription): Omit<Subscription, 'validationCode'> {
    const { validationCode: _code, ...rest } = subscription;
    return rest;
}

export type { DeliveryAttempt, PublishedEvent };
