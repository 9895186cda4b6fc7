import { describe, expect, it } from 'vitest';

import { pathOf } from './src/http/util';

describe('host router path decoding', () => {
    it('keeps a malformed percent-encoding as written instead of throwing (was a 500 for /api/rotations/%)', () => {
        expect(pathOf(new URL('http://h/api/rotations/%'))).toEqual(['api', 'rotations', '%']);
        expect(pathOf(new URL('http://h/api/rotations/rotate@%E0%A4%A'))).toEqual([
            'api',
            'rotations',
            'rotate@%E0%A4%A',
        ]);
        expect(pathOf(new URL('http://h/api/rotations/rotate%40x'))).toEqual(['api', 'rotations', 'rotate@x']);
    });
});
