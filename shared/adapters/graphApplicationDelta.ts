import { type Client } from '@microsoft/microsoft-graph-client';

import { type ApplicationScannerPort, type ScannedApplication, type StateStorePort } from '../scan/ports';
import { type GraphAppPage, scanGet, SELECT, toScanned } from './graphApplicationScanner';
import { fromUpstreamError, statusOf, wireCodeOf } from './upstreamError';

export const APP_SNAPSHOT_KEY = 'inventory/applications';

/**
 * What the scan keeps between runs: the deltaLink and every application, with or without credentials, because a
 * change names only what changed and is merged onto what is kept. Format 2: earlier snapshots kept only
 * applications with credentials, so they cannot take a change to one without; they mean a full sync.
 */
interface AppSnapshot {
    readonly format?: number;
    readonly deltaLink: string;
    readonly syncedAt: string;
    readonly apps: Record<string, ScannedApplication>;
}

const SNAPSHOT_FORMAT = 2;

export interface DeltaScanStats {
    readonly mode: 'full' | 'delta';
    /** Graph pages read: list pages (full) or delta pages. */
    readonly graphPages: number;
    readonly changed: number;
    /** Why a full sync ran (first run, token expired or rejected). */
    readonly reason?: string;
}

type GraphApp = NonNullable<GraphAppPage['value']>[number];

interface DeltaPage {
    readonly value?: (GraphApp & { readonly '@removed'?: unknown })[];
    readonly '@odata.nextLink'?: string;
    readonly '@odata.deltaLink'?: string;
}

/** Hands the scan its applications in pages of this many (the scan's work is per application anyway). */
const CHUNK = 999;

/**
 * The daily scan's inventory through Graph change tracking (`/applications/delta`): one full sync (the 999-per-page
 * list, after taking a "from now on" deltaLink so nothing changing meanwhile is missed), then only what changed.
 * Every application with credentials is kept in the state store with the deltaLink, because expiry moves with
 * time and every credential must be classified every day. A deltaLink Graph no longer knows (identity deltaLinks
 * live 7 days; 400 `syncStateNotFound`, or 410 on other resources) means a full sync again, never a partial one.
 */
export class DeltaApplicationScanner implements ApplicationScannerPort {
    lastRun: DeltaScanStats | undefined;

    constructor(
        private readonly client: Client,
        private readonly state: StateStorePort,
        private readonly full: ApplicationScannerPort & { readonly pagesRead?: number },
        private readonly now: () => Date = () => new Date(),
    ) {}

    async *pages(): AsyncIterable<readonly ScannedApplication[]> {
        const snapshot = await this.state.read<AppSnapshot>(APP_SNAPSHOT_KEY);
        let reason = snapshot ? 'the snapshot predates the current format' : 'first run';
        if (snapshot?.deltaLink && snapshot.format === SNAPSHOT_FORMAT) {
            const apps = new Map(Object.entries(snapshot.apps));
            let result: { deltaLink: string; pages: number; changed: number } | undefined;
            try {
                result = await this.applyDelta(snapshot.deltaLink, apps);
            } catch (error) {
                if (error instanceof UnknownApplication) reason = error.message;
                else if (!isResync(error)) throw fromUpstreamError('graph', 'read application changes', error);
                else
                    reason = `the delta token was rejected (HTTP ${statusOf(error) ?? 'n/a'}, ${wireCodeOf(error) ?? 'no code'})`;
            }
            if (result) {
                // The snapshot (every application) is stored while the scan works through it; a scan that stops
                // before it is stored reads the same changes again next time, which merge to the same result.
                const saved = this.save(result.deltaLink, apps);
                saved.catch(() => {}); // reported below, once the applications are handed out
                this.lastRun = { mode: 'delta', graphPages: result.pages, changed: result.changed };
                const all = [...apps.values()];
                for (let i = 0; i < all.length; i += CHUNK) yield all.slice(i, i + CHUNK);
                await saved;
                return;
            }
        }
        const deltaLink = await this.latestLink();
        const apps = new Map<string, ScannedApplication>();
        let pages = 0;
        for await (const page of this.full.pages()) {
            pages += 1;
            for (const app of page) apps.set(app.objectId, app);
            yield page;
        }
        await this.save(deltaLink, apps);
        this.lastRun = { mode: 'full', graphPages: pages + 1, changed: apps.size, reason };
    }

    /** A deltaLink for "changes from now on", without reading any data (directory resources support it). */
    private async latestLink(): Promise<string> {
        try {
            const page = await scanGet<DeltaPage>(
                () => this.client.api('/applications/delta').select(SELECT).query({ $deltatoken: 'latest' }),
                'start change tracking',
            );
            const link = page['@odata.deltaLink'];
            if (!link) throw new Error('no deltaLink');
            return link;
        } catch (error) {
            throw fromUpstreamError('graph', 'start change tracking', error);
        }
    }

    private async applyDelta(
        deltaLink: string,
        apps: Map<string, ScannedApplication>,
    ): Promise<{ deltaLink: string; pages: number; changed: number }> {
        let next: string | undefined = deltaLink;
        let pages = 0;
        let changed = 0;
        for (;;) {
            const link: string = next;
            // A rejected token is not transient: it goes straight to the caller, which syncs in full.
            const page: DeltaPage = await scanGet<DeltaPage>(
                () => this.client.api(link),
                'read application changes',
                undefined,
                isResync,
            );
            pages += 1;
            for (const entry of page.value ?? []) {
                changed += 1;
                if (entry['@removed'] !== undefined) {
                    apps.delete(entry.id);
                    continue;
                }
                apps.set(entry.id, merged(apps.get(entry.id), entry));
            }
            if (page['@odata.deltaLink']) return { deltaLink: page['@odata.deltaLink'], pages, changed };
            next = page['@odata.nextLink'];
            if (!next) throw new Error('a delta page had neither a nextLink nor a deltaLink');
        }
    }

    private async save(deltaLink: string, apps: ReadonlyMap<string, ScannedApplication>): Promise<void> {
        const snapshot: AppSnapshot = {
            format: SNAPSHOT_FORMAT,
            deltaLink,
            syncedAt: this.now().toISOString(),
            apps: Object.fromEntries(apps),
        };
        await this.state.write(APP_SNAPSHOT_KEY, snapshot);
    }
}

/** A change to an application the snapshot does not hold, without the properties to know it by. */
class UnknownApplication extends Error {}

/**
 * A delta entry onto the kept application. Graph returns an updated application as its id and "at least the
 * updated properties" (delta-query-overview), a new one whole: a property present in the entry replaces the kept
 * one, an absent one stays. A change naming an application the snapshot lacks must carry its appId, or nothing
 * can be trusted about it and the scan syncs in full.
 */
function merged(kept: ScannedApplication | undefined, entry: GraphApp): ScannedApplication {
    if (!kept && !entry.appId)
        throw new UnknownApplication(`a change named application ${entry.id}, unknown to the snapshot`);
    const credentials = (kind: 'secret' | 'certificate') =>
        (kept?.credentials ?? [])
            .filter((c) => c.kind === kind)
            .map((c) => ({
                keyId: c.keyId,
                displayName: c.displayName,
                hint: c.hint,
                startDateTime: c.startDateTime,
                endDateTime: c.endDateTime,
            }));
    return toScanned({
        id: entry.id,
        appId: kept?.appId ?? '',
        displayName: kept?.displayName ?? null,
        passwordCredentials: credentials('secret'),
        keyCredentials: credentials('certificate'),
        ...definedOnly(entry),
    });
}

/** The members the entry really carries (a JSON member is never undefined; a missing one is absent). */
function definedOnly(entry: GraphApp): Partial<GraphApp> {
    return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined));
}

function isResync(error: unknown): boolean {
    const status = statusOf(error);
    const code = (wireCodeOf(error) ?? '').toLowerCase();
    return status === 410 || code === 'syncstatenotfound' || code === 'resyncrequired' || code === 'syncstateinvalid';
}
