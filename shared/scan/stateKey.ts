import { inputError } from '../errors/RotatorError';

const KEY = /^[a-z0-9][a-z0-9/_-]{0,127}$/;

/** State keys are short lower-case paths; anything else (e.g. `..`) is refused before it reaches storage. */
export function stateDocumentName(key: string): string {
    if (!KEY.test(key) || key.includes('..') || key.includes('//'))
        throw inputError(`invalid state key ${JSON.stringify(key)}`);
    return `${key}.json`;
}
