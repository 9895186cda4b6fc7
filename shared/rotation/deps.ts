import { type AppServicePort } from '../appService/ports';
import { type RotationPolicy } from '../domain/policy';
import { type BindingStore } from '../enrollment/bindings';
import { type RotationHistory } from '../history/rotationHistory';
import { type Logger } from '../logging/logger';
import { type QuotaBudget } from '../pacing/quotaBudget';
import { type SignInCollector } from '../signins/collector';
import { type ConsumersConfig } from './consumers';
import { type CreateAttempts } from './createAttempts';
import {
    type AppCredentialsPort,
    type AppOwnershipPort,
    type ConsumerRefresherPort,
    type NotifierPort,
    type SecretStorePort,
    type SignInReaderPort,
    type TokenVerifierPort,
} from './ports';

/** Everything the rotation activities need, built once by the composition root. */
export interface RotationDeps {
    readonly credentials: AppCredentialsPort;
    /** Ownership and service principal checks of preflight. */
    readonly ownership: AppOwnershipPort;
    readonly secrets: SecretStorePort;
    readonly verifier: TokenVerifierPort;
    /** Release 1's per-rotation sign-in query (its gate still calls checkUsage). */
    readonly signIns: SignInReaderPort;
    /** The shared sign-in evidence collector release 2's gate reads. */
    readonly signInCollector: SignInCollector;
    readonly notifier: NotifierPort;
    readonly refresher: ConsumerRefresherPort;
    readonly consumers: ConsumersConfig;
    /** Resource Manager for App Service consumers and discovery (absent: none can be checked). */
    readonly appService?: AppServicePort;
    /** Enrollment: which credential each managed secret holds (read by preflight, moved by publish). */
    readonly bindings: BindingStore;
    /** Immutable per-rotation records in the state store (the audit history, independent of Durable's). */
    readonly history: RotationHistory;
    /** Which create attempt of a rotation this is (absent: every attempt reads the application first). */
    readonly createAttempts?: CreateAttempts;
    readonly settings: RotationSettings;
    /** The process's quota budgets (absent in tests that do not pace). */
    readonly budget?: QuotaBudget;
}

export interface RotationSettings {
    readonly policy: RotationPolicy;
    /** Vaults the rotator manages; a request for any other vault is refused. */
    readonly vaultUrls: readonly string[];
    readonly propagationTimeoutSeconds: number;
    /** Scopes whose App Service sites preflight searches for references to the secret (empty: declared only). */
    readonly appServiceDiscoveryScopes?: readonly string[];
    readonly usageGate: {
        readonly signInLogLatencyMinutes: number;
        readonly tokenLifetimeMinutes: number;
        readonly recheckHours: number;
        readonly maxChecks: number;
    };
}

export type ActivityLogger = Logger;
