import { type AppSpec, NO_EVIDENCE_SOURCE } from './seedTenant';

/**
 * The sandbox tenant: 25 app registrations with credentials in every state. Seven are managed (a Key Vault secret
 * tagged with their app and key ids); the rest are what the scan and the audit find unmanaged.
 */
export const SANDBOX_APPS: readonly AppSpec[] = [
    // Managed.
    { displayName: 'teams-agent', expiresInDays: 3, secretName: 'teams-agent-secret' },
    { displayName: 'payroll-agent', expiresInDays: 3, secretName: 'payroll-agent-secret' },
    { displayName: 'billing-api', expiresInDays: 20, secretName: 'billing-api-secret', tags: NO_EVIDENCE_SOURCE },
    {
        displayName: 'legacy-crm-connector',
        expiresInDays: -5,
        secretName: 'legacy-crm-secret',
        tags: NO_EVIDENCE_SOURCE,
    },
    // Already holds five client secrets (the limit): the rotation must refuse before adding a sixth.
    { displayName: 'crowded-app', expiresInDays: 10, secretName: 'crowded-app-secret', extraPasswords: 4 },
    {
        displayName: 'reports-service',
        expiresInDays: 60,
        secretName: 'reports-service-secret',
        tags: { 'grace-days': '1', ...NO_EVIDENCE_SOURCE },
    },
    {
        displayName: 'inventory-sync',
        expiresInDays: 250,
        secretName: 'inventory-sync-secret',
        tags: NO_EVIDENCE_SOURCE,
    },
    // Unmanaged.
    { displayName: 'hr-portal', expiresInDays: -12 },
    { displayName: 'mail-relay', expiresInDays: -40 },
    { displayName: 'marketing-site', expiresInDays: 3 },
    { displayName: 'analytics-etl', expiresInDays: 6 },
    { displayName: 'archive-job', expiresInDays: 15 },
    { displayName: 'ci-deployer', expiresInDays: 20 },
    { displayName: 'data-lake-reader', expiresInDays: 25 },
    { displayName: 'partner-gateway', expiresInDays: 45 },
    { displayName: 'mobile-backend', expiresInDays: 60 },
    { displayName: 'support-bot', expiresInDays: 89 },
    { displayName: 'search-indexer', expiresInDays: 120 },
    { displayName: 'wiki', expiresInDays: 200 },
    { displayName: 'ops-dashboard', expiresInDays: 300 },
    { displayName: 'expense-tool', expiresInDays: 365 },
    { displayName: 'status-page', expiresInDays: 400 },
    { displayName: 'build-cache', expiresInDays: 500 },
    { displayName: 'sso-bridge', expiresInDays: 700 },
    { displayName: 'sandbox-readme-app', expiresInDays: 180 },
];

/** Managed secrets that are inside the rotate window (30 days) when the sandbox starts. */
export const DUE_AT_START: readonly string[] = SANDBOX_APPS.filter((a) => a.secretName && a.expiresInDays <= 30).map(
    (a) => a.secretName!,
);
