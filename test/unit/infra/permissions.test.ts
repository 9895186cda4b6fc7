import { describe, expect, it } from 'vitest';
import { bicepProperties, stripBicepComments } from './bicepText';
import { readRepoFile, repoFilesUnder } from './repoFiles';

/**
 * Least privilege as a regression test: the rotator identity is Tier-0, so a widened grant must fail a test, not
 * slip through review. Ids are the built-in Azure role and Microsoft Graph permission ids.
 */
const GUID = /^'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'$/;

const AZURE_ROLES: Record<string, string> = {
    'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
    'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
    '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
    '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
    '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
    'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
    'd5a91429-5739-47e2-a06b-3470a27159e7': 'EventGrid Data Sender',
};

const FORBIDDEN: Record<string, string> = {
    '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
    'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
    '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
    'f58310d9-a9f6-439a-9e8d-f62e7b41a168': 'Role Based Access Control Administrator',
    '00482a5a-887f-4fb3-b363-3b7fe8e74483': 'Key Vault Administrator',
    '1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9': 'Graph Application.ReadWrite.All',
    '19dbc75e-c2e2-444c-a770-ec69d8559fc7': 'Graph Directory.ReadWrite.All',
    '06b708a9-e830-4db3-a914-8e69da51d44f': 'Graph AppRoleAssignment.ReadWrite.All',
};

const literalGuids = (path: string, key?: string) =>
    bicepProperties(readRepoFile(path).text)
        .filter((p) => key === undefined || p.key === key)
        .map((p) => GUID.exec(p.value)?.[1])
        .filter((id): id is string => id !== undefined);

describe('least privilege', () => {
    it('assigns only the documented Azure roles', () => {
        expect(new Set(literalGuids('infra/app/rbac.bicep'))).toEqual(new Set(Object.keys(AZURE_ROLES)));
    });

    it('grants the identity only Application.ReadWrite.OwnedBy and AuditLog.Read.All on Microsoft Graph', () => {
        expect(literalGuids('infra/app/graph.bicep', 'id')).toEqual([
            '18a4783c-866b-4cc7-a460-3d5e5662c884', // Application.ReadWrite.OwnedBy
            'b0afded3-3588-46d8-8b3d-9842eff778da', // AuditLog.Read.All
        ]);
    });

    it('never references a broad role or Graph permission in code', () => {
        const files = [...repoFilesUnder('infra', '.bicep'), ...repoFilesUnder('infra/scripts', '.sh')];
        const found = files.flatMap((f) =>
            Object.entries(FORBIDDEN)
                .filter(([id]) => stripBicepComments(f.text).includes(id))
                .map(([, name]) => `${f.path}: ${name}`),
        );
        expect(found).toEqual([]);
    });

    it('explains every assigned role in the README permission table', () => {
        const readme = readRepoFile('infra/README.md').text;
        const missing = Object.values(AZURE_ROLES).filter((name) => !readme.includes(name));
        expect(missing).toEqual([]);
    });
});
