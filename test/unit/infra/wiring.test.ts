import { describe, expect, it } from 'vitest';
import { paramDefault } from './bicepModules';
import { readRepoFile, repoFilesUnder } from './repoFiles';

/** Names that must agree between the infra and the app, which nothing else ties together before a deployment. */
const targetFunction = paramDefault(readRepoFile('infra/app/keyVaultEvents.bicep').text, 'functionName');
const eventGridFunctions = repoFilesUnder('functions', '.ts').flatMap((f) =>
    [...f.text.matchAll(/app(?:\.client)?\.eventGrid\(\s*'([^']+)'/g)].map((m) => m[1]!),
);

describe('infra and app agree on names', () => {
    it('the event subscription and the postdeploy hook target the same function', () => {
        expect(targetFunction).toBe('onKeyVaultEvent');
        expect(readRepoFile('infra/scripts/postdeploy.sh').text).toContain(`--function-name ${targetFunction}`);
    });

    // Plain (app.eventGrid) or durable-client (df.app.client.eventGrid) registrations both count.
    it('the app registers the Event Grid function the subscription targets', () => {
        expect(eventGridFunctions).toContain(targetFunction);
    });

    it('host.json reads the task hub name from the TASKHUB_NAME setting', () => {
        const host = JSON.parse(readRepoFile('host.json').text) as {
            extensions?: { durableTask?: { hubName?: string } };
        };
        expect(host.extensions?.durableTask?.hubName).toBe('%TASKHUB_NAME%');
    });
});
