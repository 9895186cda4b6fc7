import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

import { getConfig } from '../shared/config';
import { dashboardResponse, dashboardScope, type DashboardSignIn } from '../shared/dashboard/assets';

// Anonymous: the page and its scripts hold no data. Everything shown comes from the operator API, which checks
// the operator's Entra token and app role on every call.
app.http('dashboard', {
    route: 'dashboard/{asset?}',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (request: HttpRequest): Promise<HttpResponseInit> => {
        const config = getConfig();
        const signIn: DashboardSignIn | undefined = config.operatorApi.dashboardClientId
            ? {
                  clientId: config.operatorApi.dashboardClientId,
                  tenantId: config.tenantId,
                  authorityHost: config.authorityHost,
                  scope: dashboardScope(config.operatorApi.audience),
              }
            : undefined;
        const response = dashboardResponse(request.params.asset, new URL(request.url).pathname, signIn);
        return Promise.resolve({ status: response.status, headers: response.headers, body: response.body });
    },
});
