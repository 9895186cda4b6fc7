import { readFile } from 'node:fs/promises';

import { configError } from '../errors/RotatorError';
import { type ConsumersConfig, EMPTY_CONSUMERS, parseConsumersConfig } from './consumers';

/**
 * Reads the consumer configuration from a file path or an https blob URL, the blob read with the app's identity
 * (`readHttps`; e.g. `https://<account>.blob.core.windows.net/<state container>/consumers.json`). A missing or
 * invalid document stops the app: rotating without refreshing declared consumers is unsafe.
 */
export async function loadConsumersConfig(
    location: string | undefined,
    readHttps: (url: string) => Promise<string>,
): Promise<ConsumersConfig> {
    if (location === undefined) return EMPTY_CONSUMERS;
    let text: string;
    try {
        if (/^https:\/\//i.test(location)) {
            text = await readHttps(location);
        } else {
            text = await readFile(location, 'utf8');
        }
    } catch (error) {
        throw configError(
            ['CONSUMERS_CONFIG_LOCATION'],
            [`could not be read (${error instanceof Error ? error.message : 'error'})`],
        );
    }
    let document: unknown;
    try {
        document = JSON.parse(text);
    } catch {
        throw configError(['CONSUMERS_CONFIG_LOCATION'], ['is not valid JSON']);
    }
    return parseConsumersConfig(document);
}
