import { type SeededApp } from './seedTenant';

/**
 * Enrolls seeded managed credentials the way an operator does: POST /api/bindings with a Rotation.Admin token.
 * Tags alone never make a secret managed, so a sandbox or test world that wants rotations goes through here.
 * Re-enrolling the same credential answers 200; a binding that a rotation has since moved answers 409 and is
 * left as it is.
 */
export async function enrollSeeded(
    baseUrl: string,
    token: string,
    apps: readonly SeededApp[],
    reason = 'sandbox seeding',
): Promise<void> {
    for (const app of apps) {
        if (!app.secretName) continue;
        const response = await fetch(`${baseUrl}/api/bindings`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ secretName: app.secretName, appId: app.appId, keyId: app.keyId, reason }),
        });
        if (![200, 201, 409].includes(response.status)) {
            throw new Error(`enrolling ${app.secretName} failed: ${response.status} ${await response.text()}`);
        }
    }
}
