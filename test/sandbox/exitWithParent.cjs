// Preloaded (`--require`) into every process the sandbox starts: exit when the process that started us is gone,
// so a sandbox killed hard (kill -9, a crashed test runner) leaves no host or consumer running behind it.
'use strict';
const parent = process.ppid;
const timer = setInterval(() => {
    let alive = process.ppid === parent;
    if (alive) {
        try {
            process.kill(parent, 0);
        } catch {
            alive = false;
        }
    }
    if (!alive) process.exit(0);
}, 1000);
timer.unref();
