import { randomUUID } from 'node:crypto';

import { type EmuResponse } from '../core/contract';

/**
 * Event Grid's data-plane error body: `{error:{code,message,details:[{code,message}]}}`, the message ending
 * with a "Report '<id>:<time>' to our forums" trailer. [UNVERIFIED] wording beyond the codes and shape.
 */
export function egError(status: number, code: string, message: string, detailCode = code): EmuResponse {
    const full = `${message} Report '${randomUUID()}:${new Date().toISOString()}' to our forums for assistance or raise a support ticket.`;
    return {
        status,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: { error: { code, message: full, details: [{ code: detailCode, message: full }] } },
    };
}

export const badInput = (message: string): EmuResponse => egError(400, 'BadRequest', message, 'InputJsonInvalid');
