import { type AppConfig, loadConfig } from './loadConfig';

export { type AppConfig, loadConfig } from './loadConfig';
export { SENSITIVE_SETTINGS, SETTING_NAMES, type SettingName } from './schema';

let cached: AppConfig | undefined;

/** The process's configuration, parsed once from the app settings. The only reader of `process.env`. */
export function getConfig(): AppConfig {
    cached ??= loadConfig(process.env);
    return cached;
}

/** Test seam: forget the parsed configuration. */
export function resetConfigForTesting(): void {
    cached = undefined;
}
