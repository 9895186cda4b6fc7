import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

import { dashboardResponse } from '../shared/dashboard/assets';

// Anonymous: the page and its scripts hold no data. Everything shown comes from the operator API, which checks
// the operator's Entra token and app role on every call.
app.http('dashboard', {
    route: 'dashboard/{asset?}',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (request: HttpRequest): Promise<HttpResponseInit> => {
        const response = dashboardResponse(request.params.asset, new URL(request.url).pathname);
        return Promise.resolve({ status: response.status, headers: response.headers, body: response.body });
    },
});
