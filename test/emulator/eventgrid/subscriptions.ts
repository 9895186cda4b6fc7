import { randomUUID } from 'node:crypto';

import { type EmulatorContext } from '../core/contract';
import { vaultResourceId } from '../keyvault/vault';
import { type Subscription } from './delivery';
import { type EndpointType } from './retryPolicy';
import { checkWebhookUrl, postJson } from './webhookClient';

export interface SubscriptionRequest {
    readonly endpointUrl: string;
    readonly name: string;
    readonly includedEventTypes?: readonly string[];
    readonly maxDeliveryAttempts: number;
    /** `AzureFunction` endpoints skip the handshake, as in Azure; `WebHook` (default) must answer it. */
    readonly endpointType: EndpointType;
    readonly deadLetter: boolean;
}

/** Emulator default: a few attempts (Azure's is 30 over 24 h; the schedule is compressed anyway). */
const DEFAULT_ATTEMPTS = 5;

export function parseSubscriptionRequest(body: unknown): SubscriptionRequest | { error: string } {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: 'Expected a JSON object.' };
    const b = body as Record<string, unknown>;
    const url = checkWebhookUrl(b.endpointUrl);
    if (!url.ok) return { error: url.message };
    const types = b.includedEventTypes;
    if (types !== undefined && (!Array.isArray(types) || !types.every((t) => typeof t === 'string'))) {
        return { error: 'includedEventTypes must be an array of event type names.' };
    }
    const attempts = b.maxDeliveryAttempts ?? DEFAULT_ATTEMPTS;
    if (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 1 || attempts > 30) {
        return { error: 'maxDeliveryAttempts must be an integer from 1 to 30.' };
    }
    const endpointType = b.endpointType ?? 'WebHook';
    if (endpointType !== 'WebHook' && endpointType !== 'AzureFunction') {
        return { error: "endpointType must be 'WebHook' or 'AzureFunction'." };
    }
    if (b.deadLetter !== undefined && typeof b.deadLetter !== 'boolean')
        return { error: 'deadLetter must be a boolean.' };
    const name = b.name ?? `sub-${randomUUID().slice(0, 8)}`;
    if (typeof name !== 'string' || !/^[A-Za-z0-9-]{3,64}$/.test(name)) {
        return { error: 'name must be 3-64 letters, digits or hyphens.' };
    }
    return {
        endpointUrl: url.url.toString(),
        name,
        ...(types === undefined ? {} : { includedEventTypes: types }),
        maxDeliveryAttempts: attempts,
        endpointType,
        deadLetter: b.deadLetter === true,
    };
}

export const matchesSubscription = (subscription: Subscription, eventType: unknown): boolean =>
    subscription.provisioningState === 'Succeeded' &&
    (subscription.includedEventTypes === undefined ||
        subscription.includedEventTypes.some((t) => t.toLowerCase() === String(eventType).toLowerCase()));

/**
 * The EventGrid-schema validation handshake (§5.3): POST a SubscriptionValidationEvent with
 * `aeg-event-type: SubscriptionValidation`; only 200 echoing `validationResponse` validates at once. A 200
 * without it leaves the subscription awaiting a GET on `validationUrl` (manual validation).
 */
export async function handshake(
    subscription: Subscription,
    topic: string,
    validationUrl: string,
    now: Date,
    timeoutMs: number,
): Promise<{ state: Subscription['provisioningState'] } | { error: string }> {
    const event = {
        id: randomUUID(),
        topic,
        subject: '',
        data: { validationCode: subscription.validationCode, validationUrl },
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        eventTime: now.toISOString(),
        metadataVersion: '1',
        dataVersion: '1',
    };
    const failed = (reason: string) => ({
        error: `Webhook validation handshake failed for ${subscription.endpointUrl}. ${reason} For troubleshooting, visit https://aka.ms/esvalidation.`,
    });
    let response;
    try {
        response = await postJson(
            new URL(subscription.endpointUrl),
            [event],
            {
                'content-type': 'application/json; charset=utf-8',
                'aeg-event-type': 'SubscriptionValidation',
                'aeg-subscription-name': subscription.name.toUpperCase(),
                'aeg-delivery-count': '0',
                'aeg-data-version': '1',
                'aeg-metadata-version': '1',
            },
            timeoutMs,
            AbortSignal.timeout(timeoutMs),
        );
    } catch {
        return failed('Http POST request failed with response code Unknown.');
    }
    if (response.status !== 200) return failed(`Http POST request failed with response code ${response.status}.`);
    let echoed: unknown;
    try {
        echoed = (JSON.parse(response.body) as { validationResponse?: unknown } | null)?.validationResponse;
    } catch {
        echoed = undefined;
    }
    if (echoed === undefined) return { state: 'AwaitingManualAction' };
    if (echoed !== subscription.validationCode) return failed('The response did not echo the validation code.');
    return { state: 'Succeeded' };
}

/** `POST /_emulator/eventGrid/subscriptions`: parse, then (for webhooks) validate before the subscription exists. */
export async function createSubscription(
    body: Buffer,
    context: EmulatorContext,
    timeoutMs: number,
): Promise<Subscription | { error: string }> {
    let json: unknown;
    try {
        json = JSON.parse(body.toString('utf8'));
    } catch {
        return { error: 'The request body is not valid JSON.' };
    }
    const parsed = parseSubscriptionRequest(json);
    if ('error' in parsed) return parsed;
    const subscription: Subscription = {
        id: randomUUID(),
        name: parsed.name,
        endpointUrl: parsed.endpointUrl,
        ...(parsed.includedEventTypes === undefined ? {} : { includedEventTypes: parsed.includedEventTypes }),
        maxDeliveryAttempts: parsed.maxDeliveryAttempts,
        endpointType: parsed.endpointType,
        deadLetter: parsed.deadLetter,
        provisioningState: 'Succeeded',
        validationCode: randomUUID(),
    };
    if (parsed.endpointType === 'WebHook') {
        const validationUrl =
            `${context.origin}/_emulator/eventGrid/validate?` +
            new URLSearchParams({ id: subscription.id, code: subscription.validationCode }).toString();
        const result = await handshake(
            subscription,
            vaultResourceId(context.origin),
            validationUrl,
            context.clock.now(),
            timeoutMs,
        );
        if ('error' in result) return result;
        subscription.provisioningState = result.state;
    }
    return subscription;
}
