import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { type Bootstrap } from '../entra/tenant';
import { newClientSecret, newGuid } from './ids';

/**
 * The tenant id and the admin principal, created on first start and reused afterwards, so a state directory
 * keeps one identity across restarts and resets (like a real sandbox tenant).
 */
export function loadBootstrap(stateDir: string): Bootstrap {
    const path = join(stateDir, 'bootstrap.json');
    if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as Bootstrap;
    const bootstrap: Bootstrap = {
        tenantId: newGuid(),
        admin: {
            clientId: newGuid(),
            objectId: newGuid(),
            servicePrincipalId: newGuid(),
            clientSecret: newClientSecret(),
        },
    };
    writeFileSync(path, JSON.stringify(bootstrap, null, 2), { mode: 0o600 });
    return bootstrap;
}
