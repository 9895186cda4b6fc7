import { type TokenCredential } from '@azure/identity';

import { createOperatorAuth, type OperatorRole, type AuthResult } from './api/operatorAuth';
import { createRotatorCredential } from './adapters/azureCredential';
import { ArmAppService } from './adapters/armAppService';
import { BlobStateStore } from './adapters/blobStateStore';
import { HttpClock, systemClock } from './adapters/clocks';
import { EventGridNotifier } from './adapters/eventGridNotifier';
import { FileStateStore } from './adapters/fileStateStore';
import { GraphApplications } from './adapters/graphApplications';
import { DeltaApplicationScanner } from './adapters/graphApplicationDelta';
import { GraphApplicationScanner } from './adapters/graphApplicationScanner';
import { createGraphClient } from './adapters/graphClient';
import { GraphSignIns } from './adapters/graphSignIns';
import { HttpConsumerRefresher } from './adapters/httpConsumerRefresher';
import { KeyVaultManagedIndex } from './adapters/keyVaultManagedIndex';
import { KeyVaultSecrets } from './adapters/keyVaultSecrets';
import { SecretClients } from './adapters/secretClients';
import { selfObjectId } from './adapters/selfIdentity';
import { MsalTokenVerifier } from './adapters/msalTokenVerifier';
import { RecordingNotifier } from './adapters/recordingNotifier';
import { type AppConfig, getConfig } from './config';
import { BindingStore } from './enrollment/bindings';
import { RotationHistory } from './history/rotationHistory';
import { CreateAttempts } from './rotation/createAttempts';
import { type Clock } from './domain/time';
import { QuotaBudget } from './pacing/quotaBudget';
import { type RotationDeps } from './rotation/deps';
import { SignInCollector } from './signins/collector';
import { AppServiceRefresher, RoutingRefresher } from './rotation/appServiceConsumers';
import { type AppCredentialsPort, type AppOwnershipPort } from './rotation/ports';
import { loadConsumersConfig } from './rotation/loadConsumers';
import { readBlobText } from './adapters/blobText';
import { type ApplicationScannerPort, type ManagedSecretIndexPort, type StateStorePort } from './scan/ports';

/** The one place where adapters are built and wired: everything else receives its dependencies. */
export interface Services {
    readonly config: AppConfig;
    readonly credential: TokenCredential;
    readonly clock: Clock;
    readonly budget: QuotaBudget;
    readonly state: StateStorePort;
    readonly scanner: ApplicationScannerPort;
    readonly managedIndex: ManagedSecretIndexPort;
    readonly bindings: BindingStore;
    readonly applications: AppCredentialsPort & AppOwnershipPort;
    readonly authorize: (authorization: string | null, role: OperatorRole) => Promise<AuthResult>;
    readonly rotation: RotationDeps;
}

export async function createServices(config: AppConfig, overrides: Partial<RotationDeps> = {}): Promise<Services> {
    const credential = createRotatorCredential(config);
    // One budget per process, shared by every rotation this instance runs (see README "Many rotations at once").
    const budget = new QuotaBudget({ share: config.quotaShare });
    const graph = createGraphClient(credential, config.graphBaseUrl, budget, config.scopes.graph);
    const secretClients = new SecretClients(credential, config.localEndpoints);
    const clock = config.clockSourceUrl ? new HttpClock(config.clockSourceUrl) : systemClock;
    const consumers =
        overrides.consumers ??
        (await loadConsumersConfig(config.consumers.configLocation, (url) => readBlobText(url, credential)));
    const state: StateStorePort = /^https:\/\//i.test(config.stateStoreLocation)
        ? new BlobStateStore(config.stateStoreLocation, credential)
        : new FileStateStore(config.stateStoreLocation);
    const appService = new ArmAppService(credential, {
        endpoint: config.resourceManager.endpoint,
        scope: config.resourceManager.scope,
    });
    const secrets = new KeyVaultSecrets(secretClients, budget);
    const bindings = new BindingStore(state);
    const applications = new GraphApplications(graph, selfObjectId(credential));
    const signIns = new GraphSignIns(graph);
    const rotation: RotationDeps = {
        credentials: applications,
        ownership: applications,
        secrets,
        verifier: new MsalTokenVerifier({
            tenantId: config.tenantId,
            authorityHost: config.authorityHost,
            scope: config.scopes.graph,
            localEndpoints: config.localEndpoints,
        }),
        signIns,
        // One tenant-wide sign-in read serves every usage gate; overlap = the log latency the gate assumes.
        signInCollector: new SignInCollector(
            state,
            signIns,
            { overlapMinutes: config.usageGate.signInLogLatencyMinutes },
            undefined,
            async () => (await clock.now()).getTime(),
        ),
        // The dashboard's notification feed reads what the recording decorator keeps in the state store.
        notifier: new RecordingNotifier(
            new EventGridNotifier(
                config.eventGrid.topicEndpoint,
                config.eventGrid.topicKey ? { key: config.eventGrid.topicKey } : { credential },
            ),
            state,
        ),
        refresher: new RoutingRefresher(
            new HttpConsumerRefresher({
                sharedKey: config.consumers.webhookSigningKey,
                consumerKey: async (name) => (await secrets.getLatest(config.keyVault.defaultVaultUrl, name))?.value,
                allowHttp: config.localEndpoints,
            }),
            new AppServiceRefresher(appService, consumers),
        ),
        appService,
        settings: {
            policy: config.policy,
            vaultUrls: config.keyVault.vaultUrls,
            propagationTimeoutSeconds: config.verification.propagationTimeoutSeconds,
            appServiceDiscoveryScopes: config.resourceManager.discoveryScopes,
            usageGate: config.usageGate,
        },
        budget,
        ...overrides,
        bindings: overrides.bindings ?? bindings,
        history: overrides.history ?? new RotationHistory(state, config.history),
        createAttempts: overrides.createAttempts ?? new CreateAttempts(state),
        consumers,
    };
    return {
        config,
        credential,
        clock,
        budget,
        state,
        // Change tracking after one full sync; the snapshot and deltaLink live in the state store.
        scanner: new DeltaApplicationScanner(graph, state, new GraphApplicationScanner(graph)),
        managedIndex: new KeyVaultManagedIndex(secretClients),
        bindings: rotation.bindings,
        applications,
        authorize: createOperatorAuth({
            tenantId: config.tenantId,
            authorityHost: config.authorityHost,
            issuerHosts: { v1: config.cloud.issuerV1Host, v2: config.cloud.issuerV2Host },
            identifierUri: config.operatorApi.audience,
            clientId: config.operatorApi.clientId,
        }),
        rotation,
    };
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
