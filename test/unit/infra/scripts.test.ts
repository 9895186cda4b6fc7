import { describe, expect, it } from 'vitest';
import { type FakeRule, runWithFakeCli } from './fakeCli';

const GRAPH = '00000003-0000-0000-c000-000000000000';
const fast = { ROTATOR_RETRY_ATTEMPTS: '2', ROTATOR_RETRY_DELAY: '0' };

describe('add-app-owner.sh', () => {
    const script = 'infra/scripts/add-app-owner.sh';
    const env = { ROTATOR_IDENTITY_PRINCIPAL_ID: 'mi-id' };
    const rules = (opts: {
        grants?: string;
        directoryRoles?: string;
        owners?: string;
        hasSp?: boolean;
    }): FakeRule[] => [
        { when: `'ad app show --id app-1 '*`, then: 'echo obj-1' },
        { when: `'ad sp show --id app-1 '*`, then: opts.hasSp === false ? 'exit 3' : 'exit 0' },
        { when: `'ad sp show --id ${GRAPH} --query id '*`, then: 'echo graph-sp' },
        {
            when: `*'appRoles[].[id, value]'*`,
            then: "printf 'role-arw\\tApplication.ReadWrite.All\\nrole-user\\tUser.Read.All\\n'",
        },
        { when: `*'/appRoleAssignments '*`, then: opts.grants ?? 'echo role-user' },
        { when: '*transitiveMemberOf*', then: `echo ${opts.directoryRoles ?? '0'}` },
        { when: `*'/owners?$select=id '*`, then: `echo ${opts.owners ?? '0'}` },
        { when: `'rest --method POST '*`, then: 'exit 0' },
    ];
    const posts = (calls: string[]) => calls.filter((c) => c.startsWith('az rest --method POST'));

    it('adds the identity as owner of an unprivileged app', () => {
        const run = runWithFakeCli(script, ['app-1'], { az: rules({}) }, env);
        expect(run.status).toBe(0);
        expect(posts(run.calls)).toEqual([
            'az rest --method POST --uri https://graph.microsoft.com/v1.0/applications/obj-1/owners/$ref ' +
                '--headers Content-Type=application/json ' +
                '--body {"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/mi-id"} --output none',
        ]);
        expect(run.calls).toContain(
            "az rest --method GET --uri https://graph.microsoft.com/v1.0/servicePrincipals(appId='app-1')/appRoleAssignments " +
                "--query value[?resourceId=='graph-sp'].appRoleId --output tsv",
        );
    });

    it('refuses an app holding a Tier-0 Graph permission', () => {
        const run = runWithFakeCli(script, ['app-1'], { az: rules({ grants: 'echo role-arw' }) }, env);
        expect(run.status).toBe(1);
        expect(run.stderr).toContain('Application.ReadWrite.All');
        expect(posts(run.calls)).toEqual([]);
    });

    it('refuses an app holding a directory role', () => {
        const run = runWithFakeCli(script, ['app-1'], { az: rules({ directoryRoles: '1' }) }, env);
        expect(run.status).toBe(1);
        expect(run.stderr).toContain('directory roles: 1');
        expect(posts(run.calls)).toEqual([]);
    });

    it('fails closed when the grants cannot be read', () => {
        const run = runWithFakeCli(script, ['app-1'], { az: rules({ grants: 'echo Forbidden >&2; exit 1' }) }, env);
        expect(run.status).not.toBe(0);
        expect(posts(run.calls)).toEqual([]);
    });

    it('accepts a privileged app only with --allow-privileged', () => {
        const run = runWithFakeCli(
            script,
            ['app-1', '--allow-privileged'],
            { az: rules({ grants: 'echo role-arw' }) },
            env,
        );
        expect(run.status).toBe(0);
        expect(posts(run.calls)).toHaveLength(1);
    });

    it('skips the privilege checks for an app without a service principal here', () => {
        const run = runWithFakeCli(script, ['app-1'], { az: rules({ hasSp: false, grants: 'exit 1' }) }, env);
        expect(run.status).toBe(0);
        expect(run.calls.some((c) => c.includes('/appRoleAssignments'))).toBe(false);
        expect(posts(run.calls)).toHaveLength(1);
    });

    it('does nothing when the identity already owns the app', () => {
        const run = runWithFakeCli(script, ['app-1'], { az: rules({ owners: '1' }) }, env);
        expect(run.status).toBe(0);
        expect(posts(run.calls)).toEqual([]);
    });
});

describe('onboard-credential.sh', () => {
    const script = 'infra/scripts/onboard-credential.sh';
    const rules = (endDate: string): FakeRule[] => [
        { when: `'ad app credential list --id app-1 '*`, then: `echo '${endDate}'` },
        { when: `'keyvault secret show '*`, then: 'exit 0' },
        { when: `'keyvault secret set-attributes '*`, then: 'exit 0' },
    ];

    it('copies the credential end date into exp and applies the tag contract', () => {
        const run = runWithFakeCli(script, ['kv-1', 'billing', 'app-1', 'key-1', 'grace-days=14'], {
            az: rules('2027-01-31T00:00:00Z'),
        });
        expect(run.status).toBe(0);
        expect(run.calls).toContain(
            "az ad app credential list --id app-1 --query [?keyId=='key-1'].endDateTime | [0] --output tsv",
        );
        expect(run.calls.at(-1)).toBe(
            'az keyvault secret set-attributes --vault-name kv-1 --name billing --expires 2027-01-31T00:00:00Z ' +
                '--content-type application/vnd.entra.client-secret ' +
                '--tags entra-app-id=app-1 entra-key-id=key-1 grace-days=14 --output none',
        );
    });

    it('rejects a tag outside the contract before calling anything', () => {
        const run = runWithFakeCli(script, ['kv-1', 'billing', 'app-1', 'key-1', 'owner=me'], { az: rules('x') });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain("unknown tag 'owner=me'");
        expect(run.calls).toEqual([]);
    });

    it('fails when the app has no credential with that keyId', () => {
        const run = runWithFakeCli(script, ['kv-1', 'billing', 'app-1', 'key-1'], { az: rules('') });
        expect(run.status).toBe(1);
        expect(run.calls.some((c) => c.includes('set-attributes'))).toBe(false);
    });
});

describe('postprovision.sh (Graph grants, then the signing key with temporary vault access)', () => {
    const script = 'infra/scripts/postprovision.sh';
    const env = {
        AZURE_KEY_VAULT_NAME: 'kv-1',
        SIGNING_KEY_SECRET_NAME: 'sk',
        AZURE_PRINCIPAL_ID: 'me',
        AZURE_RESOURCE_GROUP: 'rg-1',
        ROTATOR_IDENTITY_PRINCIPAL_ID: 'mi-id',
        ...fast,
    };
    // Records the key file's size, mode and path as the fake `az` sees them, without ever printing its content.
    const inspectKeyFile =
        'f=$(printf "%s" "$*" | sed "s/.*--file \\([^ ]*\\).*/\\1/"); ' +
        'printf "file size=%s mode=%s path=%s\\n" "$(wc -c <"$f" | tr -d " ")" "$(stat -c %a "$f")" "$f" >>"$FAKE_LOG"';
    const graph: FakeRule[] = [
        { when: `'ad sp show --id ${GRAPH} --query id '*`, then: 'echo graph-sp' },
        { when: '*Application.ReadWrite.OwnedBy*', then: 'echo r-owned' },
        { when: '*AuditLog.Read.All*', then: 'echo r-audit' },
        { when: '*Directory.Read.All*', then: 'echo r-directory' },
        { when: `*'/appRoleAssignments '*`, then: 'echo 1' },
    ];
    const vault = (held: string): FakeRule[] => [
        { when: `'keyvault show '*`, then: 'echo /vault-id' },
        { when: `'role assignment list '*`, then: `echo ${held}` },
        { when: `'role assignment create '*`, then: 'echo /assignment-1' },
        { when: `'role assignment delete '*`, then: 'exit 0' },
    ];
    const notFound = { when: `'keyvault secret show '*`, then: 'echo "(SecretNotFound) not found" >&2; exit 3' };
    const created = (calls: string[]) => calls.filter((c) => c.startsWith('az role assignment create'));
    const deleted = (calls: string[]) => calls.filter((c) => c.startsWith('az role assignment delete'));

    it('creates a 64-character key through a private temp file, with vault access only while it runs', () => {
        const run = runWithFakeCli(
            script,
            [],
            { az: [...graph, ...vault('0'), notFound, { when: `'keyvault secret set '*`, then: inspectKeyFile }] },
            env,
        );
        expect(run.status).toBe(0);
        const set = run.calls.find((c) => c.startsWith('az keyvault secret set '));
        expect(set).toMatch(/--vault-name kv-1 --name sk --file \S+ --encoding utf-8/);
        expect(set).not.toContain('--value');
        expect(run.calls.find((c) => c.startsWith('file '))).toMatch(/^file size=64 mode=600 path=/);
        expect(run.stdout + run.stderr).not.toMatch(/[A-Za-z0-9+/]{40,}/);
        expect(created(run.calls)).toEqual([
            'az role assignment create --assignee-object-id me --assignee-principal-type User ' +
                '--role b86a8fe4-44ce-4948-aee5-eccb2c155cd7 --scope /vault-id ' +
                '--description Temporary: azd postprovision seeds the webhook signing key --query id --output tsv',
        ]);
        // Removed after the write, as the last call.
        expect(run.calls.at(-1)).toBe('az role assignment delete --ids /assignment-1 --output none');
    });

    it('leaves an existing key and an existing assignment of the deployer alone', () => {
        const run = runWithFakeCli(
            script,
            [],
            { az: [...graph, ...vault('1'), { when: `'keyvault secret show '*`, then: 'exit 0' }] },
            env,
        );
        expect(run.status).toBe(0);
        expect(run.calls.filter((c) => c.startsWith('az keyvault secret set'))).toEqual([]);
        expect(created(run.calls)).toEqual([]);
        expect(deleted(run.calls)).toEqual([]);
    });

    it('never writes a key while it cannot tell whether one exists, and still removes its access', () => {
        const forbidden = { when: `'keyvault secret show '*`, then: 'echo "(Forbidden) denied" >&2; exit 1' };
        const run = runWithFakeCli(script, [], { az: [...graph, ...vault('0'), forbidden] }, env);
        expect(run.status).toBe(1);
        expect(run.calls.filter((c) => c.startsWith('az keyvault secret show'))).toHaveLength(2);
        expect(run.calls.filter((c) => c.startsWith('az keyvault secret set'))).toEqual([]);
        expect(run.calls.at(-1)).toBe('az role assignment delete --ids /assignment-1 --output none');
    });

    it('explains the missing Graph admin role and still seeds the key', () => {
        const denied: FakeRule[] = [
            { when: `'rest --method POST '*`, then: 'echo "Forbidden" >&2; exit 1' },
            ...graph.slice(0, 4),
            { when: `*'/appRoleAssignments '*`, then: 'echo 0' },
        ];
        const run = runWithFakeCli(
            script,
            [],
            { az: [...denied, ...vault('1'), { when: `'keyvault secret show '*`, then: 'exit 0' }] },
            env,
        );
        expect(run.status).toBe(0);
        expect(run.stderr).toContain('Privileged Role Administrator');
        expect(run.stderr).toContain('infra/scripts/grant-graph-permissions.sh');
        expect(run.stderr).toContain('REMINDER');
    });
});

describe('postdeploy.sh (Key Vault event wiring)', () => {
    const script = 'infra/scripts/postdeploy.sh';
    const env = {
        AZURE_SUBSCRIPTION_ID: 'sub-1',
        AZURE_RESOURCE_GROUP: 'rg-1',
        AZURE_FUNCTION_APP_NAME: 'func-1',
        KEY_VAULT_SYSTEM_TOPIC_NAME: 'evgst-1',
        AZURE_STORAGE_ACCOUNT_NAME: 'st1',
        DEAD_LETTER_CONTAINER_NAME: 'eventgrid-deadletter',
        ...fast,
    };
    const deploy = { when: `'deployment group create '*`, then: 'exit 0' };
    const resolved: FakeRule = { when: `*configreferences*`, then: 'echo 0' };

    it('deploys the subscription template once the function exists, on every deploy, keeping no flag', () => {
        for (const flag of [{}, { ROTATOR_WIRE_KEY_VAULT_EVENTS: 'true' }] as Record<string, string>[]) {
            const run = runWithFakeCli(
                script,
                [],
                { az: [resolved, { when: `'functionapp function show '*`, then: 'exit 0' }, deploy] },
                { ...env, ...flag },
            );
            expect(run.status).toBe(0);
            const created = run.calls.find((c) => c.startsWith('az deployment group create'));
            expect(created).toMatch(
                /--resource-group rg-1 --name keyVaultEvents --template-file \S+\/app\/keyVaultEvents\.bicep/,
            );
            expect(created).toContain(
                'systemTopicName=evgst-1 functionAppName=func-1 storageAccountName=st1 deadLetterContainerName=eventgrid-deadletter',
            );
            expect(run.calls.filter((c) => c.startsWith('azd '))).toEqual([]);
        }
    });

    it('does not create the subscription when the function never appears', () => {
        const run = runWithFakeCli(
            script,
            [],
            { az: [resolved, { when: `'functionapp function show '*`, then: 'exit 3' }, deploy] },
            env,
        );
        expect(run.status).toBe(1);
        expect(run.calls.filter((c) => c.includes('functionapp function show'))).toHaveLength(2);
        expect(run.calls.filter((c) => c.startsWith('az deployment'))).toEqual([]);
        expect(run.stderr).toContain('onKeyVaultEvent was not found');
    });
});

describe('postdeploy.sh (unresolved Key Vault references)', () => {
    const script = 'infra/scripts/postdeploy.sh';
    const env = {
        AZURE_SUBSCRIPTION_ID: 'sub-1',
        AZURE_RESOURCE_GROUP: 'rg-1',
        AZURE_FUNCTION_APP_NAME: 'func-1',
        KEY_VAULT_SYSTEM_TOPIC_NAME: 'evgst-1',
        AZURE_STORAGE_ACCOUNT_NAME: 'st1',
        DEAD_LETTER_CONTAINER_NAME: 'eventgrid-deadletter',
        ROTATOR_RETRY_ATTEMPTS: '3',
        ROTATOR_RETRY_DELAY: '0',
    };
    const wired: FakeRule[] = [
        { when: `'functionapp function show '*`, then: 'exit 0' },
        { when: `'deployment group create '*`, then: 'exit 0' },
        { when: `'functionapp restart '*`, then: 'exit 0' },
    ];
    // The first check reports one unresolved reference, later ones none (a counter file in the fake's HOME).
    const resolvesAfterRestart: FakeRule = {
        when: '*configreferences*',
        then: 'if [ -e "$HOME/restarted" ]; then echo 0; else touch "$HOME/restarted"; echo 1; fi',
    };

    it('restarts the app once when a reference is unresolved, then finds it resolved', () => {
        const run = runWithFakeCli(script, [], { az: [resolvesAfterRestart, ...wired] }, env);
        expect(run.status).toBe(0);
        expect(run.calls).toContain(
            'az rest --method GET --uri /subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Web/sites/func-1' +
                "/config/configreferences/appsettings?api-version=2023-12-01 --query length(value[?properties.status != 'Resolved']) --output tsv",
        );
        expect(run.calls.filter((c) => c.startsWith('az functionapp restart'))).toEqual([
            'az functionapp restart --resource-group rg-1 --name func-1 --output none',
        ]);
    });

    it('fails with a hint when references never resolve', () => {
        const run = runWithFakeCli(script, [], { az: [{ when: '*configreferences*', then: 'echo 1' }, ...wired] }, env);
        expect(run.status).toBe(1);
        expect(run.calls.filter((c) => c.startsWith('az functionapp restart'))).toHaveLength(3);
        expect(run.stderr).toContain('Key Vault Secrets Officer');
    });
});

describe('grant-graph-permissions.sh', () => {
    const script = 'infra/scripts/grant-graph-permissions.sh';
    const env = { ROTATOR_IDENTITY_PRINCIPAL_ID: 'mi-id', ROTATOR_GRAPH_URL: 'https://graph.microsoft.us' };
    const rules = (post: string): FakeRule[] => [
        { when: `'rest --method POST '*`, then: post },
        { when: `*'/appRoleAssignments '*r-owned*`, then: 'echo 1' },
        { when: `*'/appRoleAssignments '*r-audit*`, then: 'echo 0' },
        { when: `*'/appRoleAssignments '*r-directory*`, then: 'echo 0' },
        { when: `'ad sp show --id ${GRAPH} --query id '*`, then: 'echo graph-sp' },
        { when: '*Application.ReadWrite.OwnedBy*', then: 'echo r-owned' },
        { when: '*AuditLog.Read.All*', then: 'echo r-audit' },
        { when: '*Directory.Read.All*', then: 'echo r-directory' },
    ];

    it("grants only the missing least-privilege permissions, on the deployment cloud's Graph", () => {
        const run = runWithFakeCli(script, [], { az: rules('exit 0') }, env);
        expect(run.status).toBe(0);
        const posts = run.calls.filter((c) => c.startsWith('az rest --method POST'));
        // The sign-in list needs Directory.Read.All besides AuditLog.Read.All (its documented known issue).
        expect(posts).toHaveLength(2);
        expect(posts[0]).toContain('--uri https://graph.microsoft.us/v1.0/servicePrincipals/mi-id/appRoleAssignments');
        expect(posts[0]).toContain('{"principalId":"mi-id","resourceId":"graph-sp","appRoleId":"r-audit"}');
        expect(posts[1]).toContain('{"principalId":"mi-id","resourceId":"graph-sp","appRoleId":"r-directory"}');
        expect(run.calls.join('\n')).not.toContain('Application.ReadWrite.All');
    });

    it('names the admin role it needs when the grant is refused (exit 2)', () => {
        const run = runWithFakeCli(script, [], { az: rules('echo Forbidden >&2; exit 1') }, env);
        expect(run.status).toBe(2);
        expect(run.stderr).toContain('Privileged Role Administrator');
    });
});

describe('operator-api.sh (operator API app registration)', () => {
    const script = 'infra/scripts/operator-api.sh';
    // Logs the JSON body the script POSTs to /applications.
    const captureBody =
        'f=$(printf "%s" "$*" | sed "s/.*--body @\\([^ ]*\\).*/\\1/"); ' +
        'printf "body %s\\n" "$(tr -d "\\n" <"$f")" >>"$FAKE_LOG"; echo app-new';
    const rules = (existing: string, post = captureBody, scopes = { ours: 'scope-1', count: '1' }): FakeRule[] => [
        { when: `'ad app list '*`, then: `echo ${existing}` },
        { when: `'rest --method POST '*`, then: post },
        { when: `*"api.oauth2PermissionScopes[?value=='user_impersonation'].id"*`, then: `echo ${scopes.ours}` },
        { when: `*'length(api.oauth2PermissionScopes)'*`, then: `echo ${scopes.count}` },
        { when: `'ad app show --id '*' --query id '*`, then: 'echo obj-old' },
        { when: `'rest --method PATCH '*`, then: 'exit 0' },
        { when: `'ad app update '*`, then: 'exit 0' },
        { when: `'ad sp show --id app-new '*`, then: 'exit 3' },
        { when: `'ad sp show '*`, then: 'exit 0' },
        { when: `'ad sp create '*`, then: 'exit 0' },
        { when: `'ad sp update '*`, then: 'exit 0' },
    ];

    it('creates a v2-token registration with its three roles (read, write, admin), tagged for the environment, and prints its client id', () => {
        const run = runWithFakeCli(script, ['dev'], { az: rules('') });
        expect(run.status).toBe(0);
        expect(run.stdout.trim()).toBe('app-new');
        expect(run.calls[0]).toBe(
            "az ad app list --filter tags/any(t:t eq 'entra-credential-rotator:dev') --query [0].appId --output tsv",
        );
        const body = JSON.parse(run.calls.find((c) => c.startsWith('body '))!.slice('body '.length)) as {
            tags: string[];
            signInAudience: string;
            api: { requestedAccessTokenVersion: number; oauth2PermissionScopes: { value: string; type: string }[] };
            appRoles: { id: string; value: string }[];
        };
        // The dashboard signs operators in with this delegated scope.
        expect(body.api.oauth2PermissionScopes.map((x) => [x.value, x.type])).toEqual([['user_impersonation', 'User']]);
        expect(body.tags).toEqual(['entra-credential-rotator:dev']);
        expect(body.signInAudience).toBe('AzureADMyOrg');
        expect(body.api.requestedAccessTokenVersion).toBe(2);
        expect(body.appRoles.map((r) => r.value)).toEqual(['Rotation.Read', 'Rotation.Write', 'Rotation.Admin']);
        expect(new Set(body.appRoles.map((r) => r.id)).size).toBe(3);
        expect(run.calls).toContain(
            'az ad app update --id app-new --set api.requestedAccessTokenVersion=2 --output none',
        );
        expect(run.calls).toContain('az ad app update --id app-new --identifier-uris api://app-new --output none');
        expect(run.calls).toContain('az ad sp create --id app-new --output none');
        expect(run.calls.at(-1)).toBe(
            'az ad sp update --id app-new --set appRoleAssignmentRequired=true --output none',
        );
    });

    it('reuses the registration of the environment (idempotent)', () => {
        const run = runWithFakeCli(script, ['dev'], { az: rules('app-old') });
        expect(run.status).toBe(0);
        expect(run.stdout.trim()).toBe('app-old');
        expect(run.calls.filter((c) => c.startsWith('az rest --method POST'))).toEqual([]);
        expect(run.calls.filter((c) => c.startsWith('az ad sp create'))).toEqual([]);
    });

    it('adds the dashboard scope to a registration created before it existed, and only there', () => {
        const patches = (calls: string[]) => calls.filter((c) => c.startsWith('az rest --method PATCH'));
        const without = runWithFakeCli(script, ['dev'], {
            az: rules('app-old', captureBody, { ours: '', count: '0' }),
        });
        expect(without.status).toBe(0);
        expect(patches(without.calls)).toHaveLength(1);
        expect(patches(without.calls)[0]).toContain('https://graph.microsoft.com/v1.0/applications/obj-old');
        const sent = JSON.parse(patches(without.calls)[0]!.replace(/.*--body (\{.*\}) --output none$/, '$1')) as {
            api: { oauth2PermissionScopes: { value: string; isEnabled: boolean }[] };
        };
        expect(sent.api.oauth2PermissionScopes.map((x) => [x.value, x.isEnabled])).toEqual([
            ['user_impersonation', true],
        ]);
        // Present already: nothing to change.
        const present = runWithFakeCli(script, ['dev'], { az: rules('app-old') });
        expect(patches(present.calls)).toEqual([]);
        // Other scopes but not ours: Graph would replace them all on PATCH, so the script stops and says why.
        const customised = runWithFakeCli(script, ['dev'], {
            az: rules('app-old', captureBody, { ours: '', count: '2' }),
        });
        expect(customised.status).toBe(1);
        expect(customised.stderr).toContain('user_impersonation');
        expect(patches(customised.calls)).toEqual([]);
    });

    it('names the role needed when creating registrations is refused', () => {
        const run = runWithFakeCli(script, ['dev'], { az: rules('', 'echo Forbidden >&2; exit 1') });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain('Application Developer');
        expect(run.stdout).toBe('');
    });
});

describe('dashboard-sign-in.sh (SPA redirect URI and consent for the deployed dashboard)', () => {
    const script = 'infra/scripts/dashboard-sign-in.sh';
    const env = {
        ROTATOR_OPERATOR_API_APP_ID: 'api-app',
        AZURE_FUNCTION_APP_HOSTNAME: 'rot-abc.westeurope-01.azurewebsites.net',
    };
    const page = 'https://rot-abc.westeurope-01.azurewebsites.net/api/dashboard';
    const rules = (opts: { uris?: string; granted?: string; grant?: string; patch?: string }): FakeRule[] => [
        { when: `'ad app show --id api-app --query id '*`, then: 'echo obj-api' },
        { when: `'ad app show --id api-app --query spa.redirectUris[] '*`, then: opts.uris ?? 'exit 0' },
        { when: `'rest --method PATCH '*`, then: opts.patch ?? 'exit 0' },
        { when: `'ad sp show --id api-app '*`, then: 'echo sp-api' },
        { when: `'rest --method GET '*oauth2PermissionGrants*`, then: opts.granted ?? 'exit 0' },
        { when: `'rest --method POST '*oauth2PermissionGrants*`, then: opts.grant ?? 'exit 0' },
    ];
    const patches = (calls: string[]) => calls.filter((c) => c.startsWith('az rest --method PATCH'));
    const grants = (calls: string[]) => calls.filter((c) => c.startsWith('az rest --method POST'));

    it("adds the page's redirect URI next to the existing ones and grants the scope for all users", () => {
        const run = runWithFakeCli(script, [], { az: rules({ uris: "printf 'https://other.example/cb\\n'" }) }, env);
        expect(run.status).toBe(0);
        expect(patches(run.calls)).toEqual([
            'az rest --method PATCH --uri https://graph.microsoft.com/v1.0/applications/obj-api ' +
                '--headers Content-Type=application/json ' +
                `--body {"spa": {"redirectUris": ["https://other.example/cb","${page}"]}} --output none`,
        ]);
        expect(grants(run.calls)).toEqual([
            'az rest --method POST --uri https://graph.microsoft.com/v1.0/oauth2PermissionGrants ' +
                '--headers Content-Type=application/json ' +
                '--body {"clientId": "sp-api", "consentType": "AllPrincipals", "resourceId": "sp-api", "scope": "user_impersonation"} --output none',
        ]);
    });

    it('changes nothing when both are in place (idempotent)', () => {
        const run = runWithFakeCli(
            script,
            [],
            { az: rules({ uris: `echo ${page}`, granted: "echo 'openid user_impersonation'" }) },
            env,
        );
        expect(run.status).toBe(0);
        expect(patches(run.calls)).toEqual([]);
        expect(grants(run.calls)).toEqual([]);
    });

    it('without the right to grant consent, says how operators get past the consent prompt, and succeeds', () => {
        const run = runWithFakeCli(
            script,
            [],
            { az: rules({ uris: `echo ${page}`, grant: 'echo Forbidden >&2; exit 1' }) },
            env,
        );
        expect(run.status).toBe(0);
        expect(run.stderr).toContain('Grant admin consent');
    });

    it('names the missing values and changes nothing outside azd', () => {
        const run = runWithFakeCli(script, [], { az: rules({}) }, {});
        expect(run.status).toBe(1);
        expect(run.stderr).toContain('ROTATOR_OPERATOR_API_APP_ID AZURE_FUNCTION_APP_HOSTNAME');
        expect(run.calls).toEqual([]);
    });

    it('postprovision runs it and goes on when it fails', () => {
        const run = runWithFakeCli(
            'infra/scripts/postprovision.sh',
            [],
            {
                az: [
                    ...rules({ patch: 'echo Forbidden >&2; exit 1' }),
                    { when: `'ad sp show --id ${GRAPH} --query id '*`, then: 'echo graph-sp' },
                    { when: '*Application.ReadWrite.OwnedBy*', then: 'echo r-owned' },
                    { when: '*AuditLog.Read.All*', then: 'echo r-audit' },
                    { when: '*Directory.Read.All*', then: 'echo r-directory' },
                    { when: `*'/appRoleAssignments '*`, then: 'echo 1' },
                    { when: `'keyvault show '*`, then: 'echo /vault-id' },
                    { when: `'role assignment list '*`, then: 'echo 1' },
                    { when: `'keyvault secret show '*`, then: 'exit 0' },
                ],
            },
            {
                ...env,
                AZURE_KEY_VAULT_NAME: 'kv-1',
                SIGNING_KEY_SECRET_NAME: 'sk',
                AZURE_PRINCIPAL_ID: 'me',
                AZURE_RESOURCE_GROUP: 'rg-1',
                ROTATOR_IDENTITY_PRINCIPAL_ID: 'mi-id',
                ...fast,
            },
        );
        expect(run.status).toBe(0);
        expect(patches(run.calls)).toHaveLength(1);
        expect(run.stderr).toContain('the dashboard takes a pasted token');
    });
});

describe('preprovision.sh and postdown.sh (per-environment values)', () => {
    const azd: FakeRule[] = [{ when: `'env set '*`, then: 'exit 0' }];
    const az: FakeRule[] = [
        { when: `'ad app list '*`, then: 'echo app-1' },
        { when: `'ad app update '*`, then: 'exit 0' },
        { when: `'ad app show '*user_impersonation*`, then: 'echo scope-1' },
        { when: `'ad sp show '*`, then: 'exit 0' },
        { when: `'ad sp update '*`, then: 'exit 0' },
    ];

    it('picks a vault suffix once and records the operator API client id', () => {
        const run = runWithFakeCli('infra/scripts/preprovision.sh', [], { az, azd }, { AZURE_ENV_NAME: 'dev' });
        expect(run.status).toBe(0);
        const sets = run.calls.filter((c) => c.startsWith('azd env set'));
        expect(sets[0]).toMatch(/^azd env set ROTATOR_VAULT_SUFFIX [0-9a-f]{5}$/);
        expect(sets[1]).toBe('azd env set ROTATOR_OPERATOR_API_APP_ID app-1');
        const again = runWithFakeCli(
            'infra/scripts/preprovision.sh',
            [],
            { az, azd },
            { AZURE_ENV_NAME: 'dev', ROTATOR_VAULT_SUFFIX: 'abcde', ROTATOR_OPERATOR_API_APP_ID: 'app-1' },
        );
        expect(again.status).toBe(0);
        expect(again.calls.filter((c) => c.startsWith('azd env set'))).toEqual([]);
    });

    it('azd down clears the suffix so the next azd up does not collide with the soft-deleted vault', () => {
        const run = runWithFakeCli('infra/scripts/postdown.sh', [], { azd });
        expect(run.status).toBe(0);
        expect(run.calls).toEqual(['azd env set ROTATOR_VAULT_SUFFIX ']);
    });
});
