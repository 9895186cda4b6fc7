/** Deterministic GUID-shaped ids, so two runs of the same script produce identical actions. */
export function fakeGuid(namespace: number, n: number): string {
    const ns = namespace.toString(16).padStart(8, '0').slice(-8);
    return `${ns}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** Hex of a fixed width, for Key Vault version ids. */
export function fakeHex(n: number, width = 32): string {
    return n.toString(16).padStart(width, '0');
}
