import { app } from '@azure/functions';

import { redactText } from '../shared/security/redact';

// Last line of defence for secrets in logs: `Secret` and the allow-listed logger come first; this scrubs
// whatever a dependency or a careless message still lets through. Only user logs can be rewritten.
app.hook.log((context) => {
    if (context.category === 'user') {
        context.message = redactText(context.message);
    }
});
