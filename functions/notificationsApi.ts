import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';

import { listNotificationsRoute } from '../shared/api/notificationsApi';
import { apiError } from '../shared/api/rotationsApi';
import { getServices } from '../shared/composition';
import { ensureError } from '../shared/errors/ensureError';
import { errorCodeOf } from '../shared/errors/RotatorError';
import { invocationLogger } from '../shared/logging/logger';

// Anonymous at the host like the other operator routes: the route itself checks the Entra token and app role.
app.http('notifications', {
    route: 'notifications',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
        try {
            const s = await getServices();
            const result = await listNotificationsRoute(
                { authorize: s.authorize, state: s.state },
                {
                    authorization: request.headers.get('authorization'),
                    params: request.params,
                    query: request.query,
                    json: () => request.json(),
                },
            );
            return { status: result.status, jsonBody: result.jsonBody, headers: { 'cache-control': 'no-store' } };
        } catch (error) {
            invocationLogger(context).error('Notifications request failed', {}, ensureError(error));
            const response = apiError(500, errorCodeOf(error), 'the request could not be completed; see the app logs');
            return { status: response.status, jsonBody: response.jsonBody };
        }
    },
});
