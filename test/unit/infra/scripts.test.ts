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

describe('postprovision.sh (signing key)', () => {
    const script = 'infra/scripts/postprovision.sh';
    const env = { AZURE_KEY_VAULT_NAME: 'kv-1', SIGNING_KEY_SECRET_NAME: 'sk', ...fast };
    // Records the key file's size, mode and path as the fake `az` sees them, without ever printing its content.
    const inspectKeyFile =
        'f=$(printf "%s" "$*" | sed "s/.*--file \\([^ ]*\\).*/\\1/"); ' +
        'printf "file size=%s mode=%s path=%s\\n" "$(wc -c <"$f" | tr -d " ")" "$(stat -c %a "$f")" "$f" >>"$FAKE_LOG"';

    it('creates a 64-character key through a private temp file when none exists', () => {
        const run = runWithFakeCli(
            script,
            [],
            {
                az: [
                    { when: `'keyvault secret show '*`, then: 'echo "(SecretNotFound) not found" >&2; exit 3' },
                    { when: `'keyvault secret set '*`, then: inspectKeyFile },
                ],
            },
            env,
        );
        expect(run.status).toBe(0);
        const set = run.calls.find((c) => c.startsWith('az keyvault secret set '));
        expect(set).toMatch(/--vault-name kv-1 --name sk --file \S+ --encoding utf-8/);
        expect(set).not.toContain('--value');
        const file = run.calls.find((c) => c.startsWith('file '));
        expect(file).toMatch(/^file size=64 mode=600 path=/);
        expect(run.stdout + run.stderr).not.toMatch(/[A-Za-z0-9+/]{40,}/);
    });

    it('leaves an existing key alone', () => {
        const run = runWithFakeCli(script, [], { az: [{ when: `'keyvault secret show '*`, then: 'exit 0' }] }, env);
        expect(run.status).toBe(0);
        expect(run.calls.filter((c) => c.startsWith('az keyvault secret set'))).toEqual([]);
    });

    it('never writes a key while it cannot tell whether one exists', () => {
        const forbidden = { when: `'keyvault secret show '*`, then: 'echo "(Forbidden) denied" >&2; exit 1' };
        const run = runWithFakeCli(script, [], { az: [forbidden] }, env);
        expect(run.status).toBe(1);
        expect(run.calls).toHaveLength(2); // ROTATOR_RETRY_ATTEMPTS reads, then give up
        expect(run.calls.filter((c) => c.startsWith('az keyvault secret set'))).toEqual([]);
    });
});

describe('postdeploy.sh (Key Vault event wiring)', () => {
    const script = 'infra/scripts/postdeploy.sh';
    const env = {
        AZURE_RESOURCE_GROUP: 'rg-1',
        AZURE_FUNCTION_APP_NAME: 'func-1',
        KEY_VAULT_SYSTEM_TOPIC_NAME: 'evgst-1',
        AZURE_STORAGE_ACCOUNT_NAME: 'st1',
        DEAD_LETTER_CONTAINER_NAME: 'eventgrid-deadletter',
        ...fast,
    };
    const deploy = { when: `'deployment group create '*`, then: 'exit 0' };

    it('deploys the subscription module once the function exists, then hands it to main.bicep', () => {
        const run = runWithFakeCli(
            script,
            [],
            {
                az: [{ when: `'functionapp function show '*`, then: 'exit 0' }, deploy],
                azd: [{ when: '*', then: 'exit 0' }],
            },
            env,
        );
        expect(run.status).toBe(0);
        const created = run.calls.find((c) => c.startsWith('az deployment group create'));
        expect(created).toMatch(
            /--resource-group rg-1 --name keyVaultEvents --template-file \S+\/app\/keyVaultEvents\.bicep/,
        );
        expect(created).toContain(
            'systemTopicName=evgst-1 functionAppName=func-1 storageAccountName=st1 deadLetterContainerName=eventgrid-deadletter',
        );
        expect(run.calls.at(-1)).toBe('azd env set ROTATOR_WIRE_KEY_VAULT_EVENTS true');
    });

    it('does not create the subscription when the function never appears', () => {
        const run = runWithFakeCli(
            script,
            [],
            { az: [{ when: `'functionapp function show '*`, then: 'exit 3' }, deploy] },
            env,
        );
        expect(run.status).toBe(1);
        expect(run.calls).toHaveLength(2);
        expect(run.stderr).toContain('onKeyVaultEvent was not found');
    });

    it('does nothing once main.bicep declares the subscription', () => {
        const run = runWithFakeCli(script, [], {}, { ...env, ROTATOR_WIRE_KEY_VAULT_EVENTS: 'true' });
        expect(run.status).toBe(0);
        expect(run.calls).toEqual([]);
    });
});

describe('grant-graph-permissions.sh (admin fallback)', () => {
    const script = 'infra/scripts/grant-graph-permissions.sh';
    const env = { ROTATOR_IDENTITY_PRINCIPAL_ID: 'mi-id', ROTATOR_OPERATOR_API_AUDIENCE: 'api://tenant/rotator' };
    // Logs the app-roles JSON the script hands to `az ad app create`.
    const captureRoles =
        'f=$(printf "%s" "$*" | sed "s/.*--app-roles @\\([^ ]*\\).*/\\1/"); ' +
        'printf "roles %s\\n" "$(tr -d "\\n" <"$f")" >>"$FAKE_LOG"; echo app-new';
    const rules: FakeRule[] = [
        { when: `'rest --method POST '*`, then: 'exit 0' },
        { when: `*'/appRoleAssignments '*r-owned*`, then: 'echo 1' },
        { when: `*'/appRoleAssignments '*r-audit*`, then: 'echo 0' },
        { when: `'ad sp show --id ${GRAPH} --query id '*`, then: 'echo graph-sp' },
        { when: '*Application.ReadWrite.OwnedBy*', then: 'echo r-owned' },
        { when: '*AuditLog.Read.All*', then: 'echo r-audit' },
        { when: `'ad app list '*`, then: 'echo' },
        { when: `'ad app create '*`, then: captureRoles },
        { when: `'ad sp show --id app-new '*`, then: 'exit 3' },
        { when: `'ad sp create '*`, then: 'exit 0' },
        { when: `'ad sp update '*`, then: 'exit 0' },
    ];

    it('grants only the missing least-privilege permissions and creates the operator API', () => {
        const run = runWithFakeCli(script, [], { az: rules }, env);
        expect(run.status).toBe(0);
        const posts = run.calls.filter((c) => c.startsWith('az rest --method POST'));
        expect(posts).toHaveLength(1);
        expect(posts[0]).toContain('{"principalId":"mi-id","resourceId":"graph-sp","appRoleId":"r-audit"}');
        expect(run.calls.join('\n')).not.toContain('Application.ReadWrite.All');

        const create = run.calls.find((c) => c.startsWith('az ad app create'));
        expect(create).toContain('--sign-in-audience AzureADMyOrg --identifier-uris api://tenant/rotator');
        const roles = JSON.parse(run.calls.find((c) => c.startsWith('roles '))!.slice('roles '.length)) as {
            id: string;
            value: string;
            allowedMemberTypes: string[];
        }[];
        expect(roles.map((r) => r.value)).toEqual(['Rotation.Read', 'Rotation.Write']);
        expect(new Set(roles.map((r) => r.id)).size).toBe(2);
        for (const r of roles) expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        expect(run.calls).toContain('az ad sp create --id app-new --output none');
        expect(run.calls.at(-1)).toBe(
            'az ad sp update --id app-new --set appRoleAssignmentRequired=true --output none',
        );
    });
});
