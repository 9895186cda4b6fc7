import { type TokenCredential } from '@azure/identity';

import { createRotatorCredential } from './adapters/azureCredential';
import { EventGridNotifier } from './adapters/eventGridNotifier';
import { GraphApplications } from './adapters/graphApplications';
import { createGraphClient } from './adapters/graphClient';
import { GraphSignIns } from './adapters/graphSignIns';
import { HttpConsumerRefresher } from './adapters/httpConsumerRefresher';
import { KeyVaultSecrets } from './adapters/keyVaultSecrets';
import { MsalTokenVerifier } from './adapters/msalTokenVerifier';
import { type AppConfig, getConfig } from './config';
import { type RotationDeps } from './rotation/deps';
import { loadConsumersConfig } from './rotation/loadConsumers';

/** The one place where adapters are built and wired: everything else receives its dependencies. */
export interface Services {
    readonly config: AppConfig;
    readonly credential: TokenCredential;
    readonly rotation: RotationDeps;
}

export async function createServices(config: AppConfig, overrides: Partial<RotationDeps> = {}): Promise<Services> {
    const credential = createRotatorCredential(config);
    const graph = createGraphClient(credential, config.graphBaseUrl);
    const consumers = overrides.consumers ?? (await loadConsumersConfig(config.consumers.configLocation));
    const rotation: RotationDeps = {
        credentials: new GraphApplications(graph),
        secrets: new KeyVaultSecrets(credential, config.localEndpoints),
        verifier: new MsalTokenVerifier({
            tenantId: config.tenantId,
            authorityHost: config.authorityHost,
            localEndpoints: config.localEndpoints,
        }),
        signIns: new GraphSignIns(graph),
        notifier: new EventGridNotifier(
            config.eventGrid.topicEndpoint,
            config.eventGrid.topicKey ? { key: config.eventGrid.topicKey } : { credential },
        ),
        refresher: new HttpConsumerRefresher(config.consumers.webhookSigningKey),
        settings: {
            policy: config.policy,
            vaultUrls: config.keyVault.vaultUrls,
            propagationTimeoutSeconds: config.verification.propagationTimeoutSeconds,
            usageGate: config.usageGate,
        },
        ...overrides,
        consumers,
    };
    return { config, credential, rotation };
}

let services: Promise<Services> | undefined;

/** Built on first use from the app settings; a configuration error surfaces on every call until fixed. */
export function getServices(): Promise<Services> {
    services ??= createServices(getConfig()).catch((error: unknown) => {
        services = undefined;
        throw error;
    });
    return services;
}

/** Test seam. */
export function setServicesForTesting(value: Services | undefined): void {
    services = value === undefined ? undefined : Promise.resolve(value);
}
