import { describe, expect, it } from 'vitest';

import { APP_SERVICE_REFERENCE_ACTIONS, APP_SERVICE_UNPIN_ACTIONS } from '../../../shared/appService/roleActions';
import { COMPILE_TIMEOUT_MS, skipReason, template } from './compiledInfra';

/** infra/appServiceRole.bicep, as the real compiler builds it, grants exactly what the code uses. */
describe.skipIf(skipReason !== undefined)('App Service custom roles (compiled)', () => {
    it(
        'the reference role holds exactly the reference actions; the unpin role exactly the unpin actions',
        () => {
            const compiled = template('infra/appServiceRole.bicep');
            const variables = compiled['variables'] as Record<string, unknown>;
            expect(variables['referenceActions']).toEqual(APP_SERVICE_REFERENCE_ACTIONS);
            expect(variables['unpinActions']).toEqual(APP_SERVICE_UNPIN_ACTIONS);
            // Reading references must never need the action that reveals setting values.
            expect(APP_SERVICE_REFERENCE_ACTIONS.filter((a) => a.endsWith('/list/action'))).toEqual([]);
            const text = JSON.stringify(compiled);
            expect(compiled['$schema']).toMatch(/subscriptionDeploymentTemplate/);
            expect(text).toContain('Microsoft.Authorization/roleDefinitions');
            expect(text).not.toMatch(/"\*"|Microsoft\.Web\/sites\/\*/);
        },
        COMPILE_TIMEOUT_MS,
    );

    it(
        'assigns the role per chosen resource group, to the rotator principal only',
        () => {
            const assignment = template('infra/app/appServiceRoleAssignment.bicep');
            const text = JSON.stringify(assignment);
            expect(text).toContain('Microsoft.Authorization/roleAssignments');
            expect(text).toContain('"principalType":"ServicePrincipal"');
        },
        COMPILE_TIMEOUT_MS,
    );
});
