/**
 * What `npm start` says in the terminal while the sandbox runs: one line when a rotation starts, when a step
 * finishes or starts waiting, and when a rotation ends (needs action, failed, completed). Pure: it compares two
 * views of `GET /api/rotations` and returns the lines for what changed, so it is unit-tested without a sandbox.
 */
export interface NarratedRotation {
    readonly id: string;
    readonly status: string;
    readonly dryRun?: boolean;
    readonly secretName: string | null;
    readonly trigger?: string | null;
    readonly outcome?: { readonly code: string; readonly message: string } | null;
    readonly steps?: readonly { readonly name: string; readonly state: string; readonly detail?: string }[];
}

/**
 * What the narrator remembers between polls: each rotation's status and step states, and (under `needs:<secret>`)
 * the last needs-action ending per secret with how often it repeated.
 */
export type NarratorMemory = ReadonlyMap<
    string,
    { readonly status: string; readonly steps: ReadonlyMap<string, string> }
>;

const TERMINAL = new Set(['Completed', 'Failed', 'AttentionRequired', 'Terminated']);

export function narrate(
    memory: NarratorMemory,
    rotations: readonly NarratedRotation[],
): { lines: string[]; memory: NarratorMemory } {
    const lines: string[] = [];
    const next = new Map(memory);
    // Oldest first, so the terminal reads in the order things happened.
    for (const r of [...rotations].reverse()) {
        const name = `${r.secretName ?? '?'}${r.dryRun ? ' (dry run)' : ''}`;
        const seen = memory.get(r.id);
        if (!seen && TERMINAL.has(r.status) && memory.size === 0 && rotations.length > 0) {
            // First poll after a restart: old news is summarised once, not replayed step by step.
            lines.push(endLine(name, r));
            next.set(r.id, { status: r.status, steps: stepStates(r) });
            continue;
        }
        if (!seen) lines.push(`rotation started   ${name}${r.trigger ? ` (${r.trigger})` : ''}`);
        const before = seen?.steps ?? new Map<string, string>();
        for (const step of r.steps ?? []) {
            if (before.get(step.name) === step.state) continue;
            if (step.state === 'succeeded') lines.push(`  step done        ${name}: ${step.name}`);
            else if (step.state === 'waiting')
                lines.push(`  waiting          ${name}: ${step.name}${step.detail ? ` ${step.detail}` : ''}`);
            else if (step.state === 'failed') lines.push(`  step failed      ${name}: ${step.name}`);
            else if (step.state === 'skipped') lines.push(`  step skipped     ${name}: ${step.name}`);
        }
        if (TERMINAL.has(r.status) && seen?.status !== r.status) {
            // The same secret ending the same way again (a failure on every scan) is counted, not repeated.
            const ending = `needs:${r.secretName ?? '?'}`;
            const key = `${r.status}:${r.outcome?.code ?? ''}`;
            const before = next.get(ending);
            const needsAction = r.status === 'AttentionRequired' || r.status === 'Failed';
            if (needsAction && before?.status === key) {
                const times = (Number(before.steps.get('times')) || 1) + 1;
                lines.push(`  again            ${name} ${r.status} (${r.outcome?.code ?? ''}), ${times} times so far`);
                next.set(ending, { status: key, steps: new Map([['times', String(times)]]) });
            } else {
                lines.push(endLine(name, r));
                if (needsAction) next.set(ending, { status: key, steps: new Map([['times', '1']]) });
                else next.delete(ending);
            }
        }
        next.set(r.id, { status: r.status, steps: stepStates(r) });
    }
    return { lines, memory: next };
}

function stepStates(r: NarratedRotation): Map<string, string> {
    return new Map((r.steps ?? []).map((s) => [s.name, s.state]));
}

function endLine(name: string, r: NarratedRotation): string {
    const why = r.outcome && r.outcome.code !== 'completed' ? `: ${r.outcome.code} - ${r.outcome.message}` : '';
    if (r.status === 'AttentionRequired' || r.status === 'Failed')
        return `NEEDS ACTION       ${name} ${r.status}${why}`;
    return `${`rotation ${r.status.toLowerCase()}`.padEnd(18)} ${name}${why}`;
}
