/**
 * The emulated vault's Azure identity. Real vault names are the first DNS label of the vault URL; on the
 * emulator's origin that label is `localhost`, so events and errors name the vault `localhost`.
 */
export const SUBSCRIPTION_ID = '5f1c6a3e-0d2b-4c8e-9a71-3b6e2d4f8c10';
export const RESOURCE_GROUP = 'rotator-emulator';
export const LOCATION = 'westeurope';

export const vaultName = (origin: string): string => new URL(origin).hostname.split('.')[0] ?? 'vault';

/** ARM id of the vault: the Event Grid system topic's `topic`/`source` (§5.2). */
export const vaultResourceId = (origin: string): string =>
    `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.KeyVault/vaults/${vaultName(origin)}`;
