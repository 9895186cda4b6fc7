import { AzureKeyCredential, EventGridPublisherClient } from '@azure/eventgrid';
import { type TokenCredential } from '@azure/identity';

import { type LifecycleEvent, type NotifierPort } from '../rotation/ports';
import { type Secret } from '../security/Secret';
import { fromUpstreamError } from './upstreamError';

/** Lifecycle notifications as CloudEvents 1.0 on a custom topic. Event data never holds secret text. */
export class EventGridNotifier implements NotifierPort {
    readonly #client: EventGridPublisherClient<'CloudEvent'>;

    constructor(topicEndpoint: string, auth: { key: Secret } | { credential: TokenCredential }) {
        this.#client =
            'key' in auth
                ? new EventGridPublisherClient(topicEndpoint, 'CloudEvent', new AzureKeyCredential(auth.key.reveal()))
                : new EventGridPublisherClient(topicEndpoint, 'CloudEvent', auth.credential);
    }

    async publish(events: readonly LifecycleEvent[]): Promise<void> {
        if (events.length === 0) return;
        try {
            await this.#client.send(
                events.map((e) => ({
                    id: e.id,
                    source: '/entra-credential-rotator',
                    type: e.type,
                    subject: e.subject,
                    time: new Date(e.time),
                    data: e.data,
                    datacontenttype: 'application/json',
                })),
            );
        } catch (error) {
            throw fromUpstreamError('eventGrid', 'publish', error);
        }
    }
}
