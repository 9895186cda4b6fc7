import { type EmuRequest, type EmuResponse } from '../core/contract';
import { newGuid } from '../core/ids';

/** The content type real Graph sends on JSON (graph-client parses it as JSON: media type is application/json). */
export const GRAPH_JSON =
    'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** Thrown by route handlers; the module turns it into the real error shape. */
export class GraphError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
    ) {
        super(message);
    }
}

export const notFound = (id: string) =>
    new GraphError(
        404,
        'Request_ResourceNotFound',
        `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    );

export const denied = () =>
    new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');

export const badRequest = (message: string) => new GraphError(400, 'Request_BadRequest', message);

/** `2022-02-14T13:27:37`: innerError.date has no zone suffix and no fraction (api-fidelity §1.5). */
const innerDate = (now: Date) => now.toISOString().slice(0, 19);

export function graphHeaders(request: EmuRequest, requestId: string): Record<string, string> {
    return {
        'content-type': GRAPH_JSON,
        'request-id': requestId,
        'client-request-id': request.headers['client-request-id'] ?? requestId,
    };
}

/** `{error:{code,message,innerError:{date,request-id,client-request-id}}}` with capital-E innerError (§1.5, §1.6). */
export function graphErrorResponse(
    status: number,
    code: string,
    message: string,
    request: EmuRequest,
    now: Date,
): EmuResponse {
    const requestId = newGuid();
    const clientRequestId = request.headers['client-request-id'] ?? requestId;
    const innerError: Record<string, string> =
        status === 429
            ? {
                  code: '429',
                  date: innerDate(now),
                  message: 'Please retry after',
                  'request-id': requestId,
                  status: '429',
              }
            : { date: innerDate(now), 'request-id': requestId, 'client-request-id': clientRequestId };
    return {
        status,
        headers: graphHeaders(request, requestId),
        body: { error: { code, message, innerError } },
    };
}

/**
 * The application object is full (docs-contrib#1169 for keyCredentials; openshift/openshift-azure#1932, where
 * AAD Graph answered 403; vault-plugin-secrets-azure maps this message from addPassword to "maximum number of
 * Application passwords reached"). Microsoft Graph's status for addPassword is [UNVERIFIED]; 403 as captured.
 */
export const resourceSizeExceeded = () =>
    new GraphError(
        403,
        'Directory_ResourceSizeExceeded',
        'The size of the object has exceeded its limit. Please reduce the number of values and retry your request.',
    );
