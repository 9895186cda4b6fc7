#!/usr/bin/env node
// `npm start` will start the local sandbox (tenant emulator + local Functions host + simulated consumers).
// Until that exists, say so plainly and fail, rather than pretend to run something.
'use strict';
console.error(
    [
        'npm start: the local sandbox is not built yet.',
        'It will start a tenant emulator, the local Functions host running this app, and simulated consumers.',
        'Until then, run the tests: npm ci && npm test',
    ].join('\n'),
);
process.exit(1);
