import { type HistoryRecord, type SaveOutcome } from '../../history/rotationHistory';
import { type RecordHistoryInput } from '../contracts';
import { type RotationDeps } from '../deps';

/** Writes the rotation's history record. Idempotent; a final record is never changed again (`frozen`). */
export async function recordHistory(deps: RotationDeps, input: RecordHistoryInput): Promise<{ outcome: SaveOutcome }> {
    const outcome = await deps.history.save(input.record as HistoryRecord, new Date(input.asOf));
    return { outcome };
}
