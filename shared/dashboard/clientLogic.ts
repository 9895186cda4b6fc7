/**
 * The dashboard's pure logic as browser JavaScript (no bundler: the page loads it as a plain script). It has no DOM
 * access, so unit tests run it in a Node VM. It exposes `DashboardLogic` in the browser, `module.exports` in tests.
 * Written without template literals so it can live in this string.
 */
export const DASHBOARD_LOGIC_JS = String.raw`(function (root) {
'use strict';

var GUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
var FINGERPRINT = /\b[0-9a-f]{12}\b/g;

/** The token in a '#access_token=...' fragment, and the fragment that remains without it. */
function readFragmentToken(hash) {
    var raw = String(hash || '').replace(/^#/, '');
    if (!raw) return { token: null, rest: '' };
    var params = new URLSearchParams(raw);
    var token = params.get('access_token');
    params.delete('access_token');
    params.delete('token_type');
    params.delete('expires_in');
    var rest = params.toString();
    return { token: token && token.trim() ? token.trim() : null, rest: rest ? '#' + rest : '' };
}

/** The token's claims for display only (the API verifies the token; the page never trusts these). */
function decodeClaims(token) {
    var parts = String(token || '').split('.');
    if (parts.length !== 3) return null;
    try {
        var b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
        while (b64.length % 4) b64 += '=';
        var bytes = Uint8Array.from(atob(b64), function (c) { return c.charCodeAt(0); });
        var claims = JSON.parse(new TextDecoder().decode(bytes));
        return claims && typeof claims === 'object' ? claims : null;
    } catch (e) {
        return null;
    }
}

/** Who is signed in, their roles and whether the token is still valid at 'nowMs'. */
function describeToken(token, nowMs) {
    var claims = decodeClaims(token);
    if (!claims) return { ok: false, reason: 'not a JWT access token', roles: [], canWrite: false, canAdmin: false, name: '' };
    var roles = Array.isArray(claims.roles) ? claims.roles.map(String) : [];
    var expired = typeof claims.exp === 'number' && claims.exp * 1000 <= nowMs;
    return {
        ok: !expired,
        reason: expired ? 'the token has expired; get a new one' : '',
        roles: roles,
        canWrite: roles.indexOf('Rotation.Write') >= 0,
        canAdmin: roles.indexOf('Rotation.Admin') >= 0,
        name: String(claims.name || claims.preferred_username || claims.upn || claims.appid || claims.azp || claims.sub || ''),
        expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : null
    };
}

/** '/api/dashboard' -> '/api': the API lives next to the page, whatever the host's route prefix. */
function apiBase(pathname) {
    return String(pathname || '').replace(/\/dashboard(\/.*)?$/i, '') || '';
}

var CARDS = [
    ['expiringIn7Days', 'Expiring in 7 days', 'alert'],
    ['expiringIn30Days', 'Expiring in 30 days', 'warn'],
    ['expiringIn90Days', 'Expiring in 90 days', ''],
    ['inGrace', 'In grace', ''],
    ['expired', 'Expired', 'alert'],
    ['managed', 'Managed', ''],
    ['unmanaged', 'Unmanaged', 'warn'],
    ['rotating', 'Rotating', ''],
    ['attentionRequired', 'Attention required', 'alert'],
    ['total', 'Credentials', '']
];

/** The count cards, in display order; a card is highlighted only when its count is not zero. */
function countCards(counts) {
    return CARDS.map(function (c) {
        var value = counts && typeof counts[c[0]] === 'number' ? counts[c[0]] : null;
        return { key: c[0], label: c[1], value: value, tone: value ? c[2] : '' };
    });
}

function stateTone(state) {
    switch (state) {
        case 'Active': case 'CleanedUp': case 'Completed': case 'succeeded': return 's-ok';
        case 'ExpiringSoon': case 'GracePeriod': case 'waiting': case 'Running': case 'Pending': case 'running': return 's-warn';
        case 'Expired': case 'AttentionRequired': case 'Failed': case 'failed': case 'Terminated': return 's-bad';
        case 'Rotating': return 's-info';
        default: return 's-muted';
    }
}

function daysText(days) {
    if (typeof days !== 'number') return '';
    if (days < 0) return 'expired ' + -days + ' d ago';
    if (days === 0) return 'expires today';
    return 'in ' + days + ' d';
}

/** A row of the credentials table; only managed credentials (with a secret name) can be rotated from here. */
function credentialRow(item) {
    return {
        key: String(item.appId) + '/' + String(item.keyId),
        state: String(item.state),
        tone: stateTone(item.state),
        app: item.appDisplayName ? String(item.appDisplayName) : '(no name)',
        appId: String(item.appId),
        credential: String(item.kind) + (item.displayName ? ' "' + item.displayName + '"' : ''),
        keyId: String(item.keyId),
        expires: String(item.endDateTime).slice(0, 10),
        days: daysText(item.daysRemaining),
        managed: !!item.managed && !!item.secretName,
        secretName: item.secretName ? String(item.secretName) : null,
        vaultUrl: item.vaultUrl ? String(item.vaultUrl) : null
    };
}

function labelKey(id, rotation) {
    var lower = id.toLowerCase();
    if (rotation.oldKeyId && lower === String(rotation.oldKeyId).toLowerCase()) return 'old keyId';
    if (rotation.newKeyId && lower === String(rotation.newKeyId).toLowerCase()) return 'new keyId';
    if (rotation.appId && lower === String(rotation.appId).toLowerCase()) return 'appId';
    return 'id';
}

/**
 * The evidence a step's detail carries, as labelled chips: key ids (old/new), secret fingerprints, secret
 * versions and sign-in observations. The detail text itself is shown as well; this makes the proof scannable.
 */
function evidenceOf(step, rotation) {
    var detail = String(step.detail || '');
    var r = rotation || {};
    var out = [];
    var seen = {};
    function add(kind, label, value) {
        var k = kind + ':' + value;
        if (seen[k]) return;
        seen[k] = true;
        out.push({ kind: kind, label: label, value: value });
    }
    (detail.match(GUID) || []).forEach(function (id) { add('keyId', labelKey(id, r), id); });
    var withoutGuids = detail.replace(GUID, ' ');
    (withoutGuids.match(FINGERPRINT) || []).forEach(function (fp) {
        var label = fp === r.newFingerprint ? 'new fingerprint' : fp === r.oldFingerprint ? 'old fingerprint' : 'fingerprint';
        add('fingerprint', label, fp);
    });
    var version = /new version ([0-9a-z]+)/i.exec(detail);
    if (version) add('version', 'secret version', version[1]);
    var signIns = /(\d+) (?:successful )?sign-in\(s\) with the old key[^;]*/i.exec(detail);
    if (signIns) add('signIns', 'sign-ins with old key', signIns[0]);
    else if (/no sign-ins with/i.test(detail)) add('signIns', 'sign-ins with old key', 'none');
    var newKey = /(\d+) (?:successful )?sign-in\(s\) with the new key/i.exec(detail);
    if (newKey) add('signIns', 'sign-ins with new key', newKey[1]);
    return out;
}

/**
 * Sign-in observations for a rotation's usage gate from its Rotation.OldCredentialInUse notifications: the
 * step's own detail keeps only the latest check (and the final verdict), the events keep every one.
 */
function signInObservations(rotation, events) {
    var id = rotation && rotation.rotationId;
    if (!id) return [];
    return (events || [])
        .filter(function (e) { return e.type === 'Rotation.OldCredentialInUse' && e.data && e.data.rotationId === id; })
        .map(function (e) {
            return { check: e.data.check === undefined ? null : Number(e.data.check), time: String(e.time), detail: String(e.data.detail || '') };
        })
        .sort(function (a, b) { return (a.check || 0) - (b.check || 0) || (a.time < b.time ? -1 : 1); });
}

/**
 * The newest real (not dry-run) rotation of each secret, from a newest-first list: the inventory is as of the
 * last scan, so this is what tells the operator a rotation has happened since.
 */
function latestRotations(rotations) {
    var out = {};
    (rotations || []).forEach(function (r) {
        if (r.dryRun || !r.secretName || out[r.secretName]) return;
        out[r.secretName] = { id: String(r.id), status: String(r.status), tone: stateTone(r.status) };
    });
    return out;
}

/** The facts of a rotation shown above its timeline (references and fingerprints only). */
function rotationFacts(rotation) {
    var facts = [];
    function add(label, value) { if (value !== null && value !== undefined && value !== '') facts.push([label, String(value)]); }
    add('app', rotation.appId);
    add('old keyId', rotation.oldKeyId);
    add('new keyId', rotation.newKeyId);
    add('old fingerprint', rotation.oldFingerprint);
    add('new fingerprint', rotation.newFingerprint);
    add('new version', rotation.newSecretVersion);
    add('trigger', rotation.trigger);
    add('reason', rotation.reason);
    if (rotation.outcome) add('outcome', rotation.outcome.code + ': ' + rotation.outcome.message);
    (rotation.findings || []).forEach(function (f) { add('finding', f.severity + ' ' + f.code + ': ' + f.message); });
    return facts;
}

function rotationTitle(rotation) {
    return String(rotation.secretName || '?') + (rotation.dryRun ? ' (dry run)' : '');
}

var HEADLINE = ['secretName', 'appDisplayName', 'step', 'status', 'code', 'detail'];

/**
 * One entry of the notification feed: a headline (which secret, which step, what happened) and the event's
 * other facts (ids, key ids, fingerprints) as evidence.
 */
function notificationLine(event) {
    var data = event.data || {};
    function text(v) { return Array.isArray(v) ? v.join(', ') : String(v); }
    var headline = HEADLINE.filter(function (k) { return data[k] !== undefined && data[k] !== null && data[k] !== ''; })
        .map(function (k) { return text(data[k]); });
    if (typeof data.daysRemaining === 'number') headline.push(daysText(Math.floor(data.daysRemaining)));
    var facts = Object.keys(data).sort()
        .filter(function (k) { return HEADLINE.indexOf(k) < 0 && data[k] !== null && data[k] !== undefined; })
        .map(function (k) { return [k, text(data[k])]; });
    return {
        id: String(event.id),
        time: String(event.time),
        type: String(event.type),
        subject: String(event.subject || ''),
        rotationId: data.rotationId ? String(data.rotationId) : null,
        headline: headline.join(' \u00b7 '),
        facts: facts
    };
}

var DAY_MS = 86400000;
var STEP_ORDER = ['preflight', 'create', 'verifyNew', 'publish', 'refresh', 'confirm', 'grace', 'usageGate', 'deleteOld'];
var STEP_LABEL = {
    preflight: 'preflight', create: 'create', verifyNew: 'verify', publish: 'publish', refresh: 'refresh',
    confirm: 'confirm', grace: 'grace', usageGate: 'usage gate', deleteOld: 'delete old'
};
var TERMINAL = { Completed: true, Failed: true, AttentionRequired: true, Terminated: true };

function ms(iso) {
    var t = Date.parse(String(iso || ''));
    return isNaN(t) ? null : t;
}

/**
 * "Now" for pictures and relative times: the newest time the data itself carries when that is ahead of the wall
 * clock (the sandbox's virtual clock runs days ahead), else the wall clock (Azure, where both agree).
 */
function referenceNow(inventory, rotations, wallMs) {
    var best = wallMs;
    function see(iso) { var t = ms(iso); if (t !== null && t > best) best = t; }
    if (inventory) see(inventory.generatedAt);
    (rotations || []).forEach(function (r) {
        see(r.updatedAt);
        (r.steps || []).forEach(function (s) { see(s.at); });
    });
    return best;
}

/** A duration for people: 45 s, 12 min, 3.5 h, 2 d. */
function durationText(milliseconds) {
    if (typeof milliseconds !== 'number' || !isFinite(milliseconds) || milliseconds < 0) return '';
    var s = milliseconds / 1000;
    if (s < 90) return Math.round(s) + ' s';
    if (s < 90 * 60) return Math.round(s / 60) + ' min';
    if (s < 48 * 3600) return (Math.round(s / 360) / 10) + ' h';
    return (Math.round(s / 8640) / 10) + ' d';
}

/** Rotations of each secret, newest first (dry runs included, marked as such): the history per secret. */
function historyBySecret(rotations) {
    var out = {};
    (rotations || []).slice().sort(function (a, b) { return (ms(b.createdAt) || 0) - (ms(a.createdAt) || 0); })
        .forEach(function (r) {
            var key = String(r.secretName || '?');
            (out[key] = out[key] || []).push(r);
        });
    return out;
}

/**
 * The history view's rotations: the immutable records (GET /api/rotations/history), each record of a rotation
 * still running shown with its live view (steps move on; the record is written at start and at the end).
 */
function mergeHistory(records, rotations) {
    var live = {};
    (rotations || []).forEach(function (r) { if (r && r.id) live[r.id] = r; });
    return (records || []).map(function (rec) {
        var now = live[rec.id];
        if (rec.final || !now) return rec;
        var merged = {};
        Object.keys(rec).forEach(function (k) { merged[k] = rec[k]; });
        Object.keys(now).forEach(function (k) { if (now[k] !== null && now[k] !== undefined) merged[k] = now[k]; });
        return merged;
    });
}

/** The operator's acceptance of "no evidence", as the history shows it. */
function waiverLine(rotation) {
    var w = rotation && rotation.waiver;
    if (!w) return null;
    var by = w.by || {};
    return 'No evidence accepted by ' + String(by.name || by.appId || by.objectId || 'an operator') + ' at ' + String(w.at) + ' \u2014 \u201c' + String(w.reason) + '\u201d';
}

/** Who or what started a rotation, as the API reports it. */
function startedBy(rotation) {
    var r = rotation || {};
    var trigger = { timer: 'the scheduled scan', keyVaultEvent: 'a Key Vault event', api: 'the operator API' }[r.trigger] || (r.trigger ? String(r.trigger) : 'unknown');
    var by = r.startedBy || r.requestedBy;
    var who = by ? String(by.name || by.appId || by.objectId || by.id || '') : '';
    return (who ? who + ' via ' + trigger : trigger) + (r.reason ? ' \u2014 \u201c' + r.reason + '\u201d' : '');
}

/**
 * What needs a human, most urgent first. Failed and AttentionRequired rotations are grouped per secret: one card
 * says how many rotations of that secret ended the same way and since when (a secret that fails on every scan
 * is one card, not one per scan). Then expired managed credentials, unmanaged credentials expiring within the
 * alert window, and a paused rotator.
 */
function needsAction(inventory, rotations, options) {
    var opts = options || {};
    var windowDays = typeof opts.alertWindowDays === 'number' ? opts.alertWindowDays
        : inventory && typeof inventory.alertWindowDays === 'number' ? inventory.alertWindowDays : 30;
    var cards = [];
    var history = historyBySecret((rotations || []).filter(function (r) { return !r.dryRun; }));
    Object.keys(history).forEach(function (secret) {
        var list = history[secret];
        var latest = list[0];
        if (latest.status !== 'Failed' && latest.status !== 'AttentionRequired') return;
        var code = latest.outcome ? latest.outcome.code : '';
        var same = [];
        for (var i = 0; i < list.length; i++) {
            var r = list[i];
            if (r.status !== latest.status || (r.outcome ? r.outcome.code : '') !== code) break;
            same.push(r);
        }
        // The notification record keeps every ending even when the rotations list keeps only the latest per secret.
        var since = same[same.length - 1].createdAt || null;
        var ended = (opts.events || []).filter(function (e) {
            var d = e.data || {};
            return e.type === 'Rotation.' + latest.status && d.secretName === secret && (!code || !d.code || d.code === code);
        });
        ended.forEach(function (e) { if (!since || String(e.time) < since) since = String(e.time); });
        cards.push({
            kind: 'rotation',
            severity: latest.status === 'AttentionRequired' ? 0 : 1,
            tone: 's-bad',
            key: 'rotation:' + secret,
            title: secret + ' \u2014 ' + latest.status,
            detail: latest.outcome ? latest.outcome.code + ': ' + latest.outcome.message : 'no outcome recorded',
            count: Math.max(same.length, ended.length),
            since: since,
            rotationId: String(latest.id),
            secretName: secret,
            vaultUrl: latest.vaultUrl || null,
            awaiting: latest.awaiting || null,
            next: latest.awaiting && latest.awaiting.action === 'acceptNoEvidence'
                ? 'Nothing showed a consumer using the new key. Add a probe, or, if no consumer can show it, accept \u201cno evidence\u201d (with a reason) before ' + String(latest.awaiting.until) + ': one more usage check runs, then the old key is deleted.'
                : latest.status === 'AttentionRequired'
                ? 'Look at the evidence below, fix the consumer, then Rotate now again.'
                : 'Fix the cause (see the message), then Rotate now or wait for the next scan.'
        });
    });
    var items = (inventory && inventory.items) || [];
    var expiredManaged = items.filter(function (c) { return c.managed && c.daysRemaining < 0; });
    expiredManaged.forEach(function (c) {
        cards.push({
            kind: 'expired', severity: 0, tone: 's-bad', key: 'expired:' + c.appId + '/' + c.keyId,
            title: (c.appDisplayName || c.appId) + ' \u2014 managed credential expired',
            detail: (c.secretName ? c.secretName + ': ' : '') + 'expired ' + -c.daysRemaining + ' d ago (' + String(c.endDateTime).slice(0, 10) + '); its consumers fail to sign in.',
            count: 1, since: c.endDateTime, secretName: c.secretName || null, vaultUrl: c.vaultUrl || null, rotationId: null,
            next: 'Rotate now; if it fails, see that rotation\u2019s outcome.'
        });
    });
    // Old keys a rotation is retiring (GracePeriod) are the rotation's business, not a separate alarm.
    var soon = items.filter(function (c) {
        return !c.managed && c.state !== 'GracePeriod' && c.state !== 'Rotating' && c.daysRemaining <= windowDays;
    }).sort(function (a, b) { return a.daysRemaining - b.daysRemaining; });
    if (soon.length > 0) {
        var expired = soon.filter(function (c) { return c.daysRemaining < 0; }).length;
        cards.push({
            kind: 'unmanaged', severity: 2, tone: 's-warn', key: 'unmanaged',
            title: soon.length + ' unmanaged credential' + (soon.length === 1 ? '' : 's') + ' expire within ' + windowDays + ' days' + (expired ? ' (' + expired + ' already expired)' : ''),
            detail: soon.slice(0, 6).map(function (c) { return (c.appDisplayName || c.appId) + ' ' + daysText(c.daysRemaining); }).join(', ') + (soon.length > 6 ? ', \u2026' : ''),
            count: soon.length, since: null, secretName: null, vaultUrl: null, rotationId: null,
            next: 'Renew them by hand, or onboard them (tag a Key Vault secret) so the rotator manages them.'
        });
    }
    if (inventory && inventory.paused) {
        cards.push({
            kind: 'paused', severity: 1, tone: 's-warn', key: 'paused', title: 'Rotation is paused',
            detail: 'Scans still run and alert, but nothing rotates (ROTATION_PAUSED=true). Dry runs still work.',
            count: 1, since: null, secretName: null, vaultUrl: null, rotationId: null,
            next: 'Set ROTATION_PAUSED=false when the dry runs look right.'
        });
    }
    return cards.sort(function (a, b) { return a.severity - b.severity; });
}

/** Rotations still running (not dry runs first, newest first). */
function inFlight(rotations) {
    return (rotations || []).filter(function (r) { return !TERMINAL[r.status]; })
        .sort(function (a, b) { return (a.dryRun ? 1 : 0) - (b.dryRun ? 1 : 0) || (ms(b.createdAt) || 0) - (ms(a.createdAt) || 0); });
}

/**
 * What the confirm step really proved. A probe reporting the new fingerprint, a consumer's sign-in with the new
 * key or a re-resolved reference proves consumers switched (an operator's waiver is shown as such); nothing is
 * "no evidence yet", never a green tick, whatever the step's state says. Uses the rotation's evidence items when
 * the API gives them, else what the step details say.
 */
function confirmEvidence(rotation) {
    var r = rotation || {};
    var steps = r.steps || [];
    function step(name) { for (var i = 0; i < steps.length; i++) if (steps[i].name === name) return steps[i]; return null; }
    var confirm = step('confirm');
    var gate = step('usageGate');
    if (!confirm) return { verdict: 'pending', probes: null, newKeySignIns: null, text: 'not reached yet' };
    if (confirm.state === 'failed') return { verdict: 'failed', probes: null, newKeySignIns: null, text: String(confirm.detail || 'failed') };
    var detail = String(confirm.detail || '');
    var probesMatch = /(\d+) probe\(s\) report the new fingerprint/i.exec(detail);
    var signInMatch = /(\d+) (?:successful )?sign-in\(s\) with the new key/i.exec(String((gate && gate.detail) || '') + ' ' + detail);
    var probes = probesMatch ? Number(probesMatch[1]) : null;
    var signIns = signInMatch ? Number(signInMatch[1]) : null;
    if (Array.isArray(r.evidence)) {
        var proofs = r.evidence.filter(function (e) { return e && (e.kind === 'newKeyInUse' || e.kind === 'noEvidenceAccepted'); });
        var inUse = proofs.filter(function (e) { return e.kind === 'newKeyInUse'; });
        if (inUse.length > 0) return { verdict: 'proven', probes: probes, newKeySignIns: signIns, text: inUse.map(function (e) { return e.source + ': ' + e.detail; }).join('; ') };
        if (proofs.length > 0) return { verdict: 'waived', probes: probes, newKeySignIns: signIns, text: 'no evidence; waived: ' + proofs.map(function (e) { return e.detail; }).join('; ') };
        return { verdict: 'unproven', probes: probes, newKeySignIns: signIns, text: 'no evidence yet that consumers switched' };
    }
    if ((probes || 0) > 0 || (signIns || 0) > 0) {
        var parts = [];
        if (probes) parts.push(probes + ' probe(s) report the new fingerprint');
        if (signIns) parts.push(signIns + ' sign-in(s) with the new key');
        return { verdict: 'proven', probes: probes, newKeySignIns: signIns, text: parts.join('; ') };
    }
    // Older records said "0 probe(s)" and still marked the step succeeded; newer ones wait until something proves it.
    if (confirm.state === 'succeeded' && !probesMatch && !/no evidence/i.test(detail)) {
        // "source: detail; source: detail" (the API's confirm step); a tag or operator source is a waiver.
        var waivedOnly = detail.split('; ').every(function (part) { return /^(tag|operator): /.test(part); });
        return { verdict: waivedOnly ? 'waived' : 'proven', probes: probes, newKeySignIns: signIns, text: waivedOnly ? 'no evidence; waived: ' + detail : detail };
    }
    return {
        verdict: 'unproven', probes: probes, newKeySignIns: signIns,
        text: 'no evidence yet that consumers switched' + (gate ? '' : ' (sign-ins with the new key are counted at the usage gate)')
    };
}

/**
 * The step bar: every step from preflight to delete, in order, with its state, how long it took (from the
 * previous step's mark to its own) and, for a waiting step, until when.
 */
function stepBar(rotation, nowMs) {
    var steps = (rotation && rotation.steps) || [];
    var byName = {};
    steps.forEach(function (s) { byName[s.name] = s; });
    var previous = ms(rotation && rotation.createdAt);
    var confirm = confirmEvidence(rotation);
    var terminal = !!TERMINAL[rotation && rotation.status];
    return STEP_ORDER.map(function (name) {
        var s = byName[name];
        if (!s) return { name: name, label: STEP_LABEL[name], state: terminal ? 'not-run' : 'pending', duration: '', until: null, detail: '' };
        var at = ms(s.at);
        var state = s.state;
        if (name === 'confirm' && (state === 'succeeded' || state === 'waiting') && confirm.verdict === 'unproven') state = 'unproven';
        if (name === 'confirm' && confirm.verdict === 'waived') state = 'waived';
        var until = null;
        if (state === 'waiting') {
            var u = /until (\S+)/.exec(String(s.detail || ''));
            var again = /re-checking in (\d+(?:\.\d+)?) h/.exec(String(s.detail || ''));
            if (u && ms(u[1]) !== null) until = new Date(ms(u[1])).toISOString();
            else if (again && at !== null) until = new Date(at + Number(again[1]) * 3600000).toISOString();
        }
        var running = state === 'running' || state === 'waiting';
        var duration = running ? (at !== null && typeof nowMs === 'number' ? durationText(nowMs - at) + ' so far' : '')
            : at !== null && previous !== null ? durationText(at - previous) : '';
        if (!running && at !== null) previous = at;
        return {
            name: name, label: STEP_LABEL[name], state: state, duration: duration, until: until,
            detail: name === 'confirm' && confirm.verdict !== 'pending' ? confirm.text : String(s.detail || '')
        };
    });
}

/**
 * A rotation's evidence as a readable list: consumers refreshed, probes, references (key ids, version,
 * fingerprints), sign-ins with the old and the new key. Structured evidence the API returns per step
 * ("evidence: [{kind, ...}]") is listed as given.
 */
function evidenceList(rotation, events) {
    var r = rotation || {};
    var out = [];
    function add(group, text) { if (text) out.push({ group: group, text: String(text) }); }
    var plan = r.plan || {};
    (plan.consumers || []).forEach(function (c) { add('consumers', 'configured: ' + c); });
    (r.steps || []).forEach(function (s) {
        var detail = String(s.detail || '');
        if (Array.isArray(s.evidence)) {
            s.evidence.forEach(function (e) {
                var fields = Object.keys(e || {}).filter(function (k) { return k !== 'kind' && e[k] !== null && e[k] !== undefined; })
                    .map(function (k) { return k + ' ' + (typeof e[k] === 'object' ? JSON.stringify(e[k]) : e[k]); });
                add(String((e && e.kind) || s.name), fields.join(', '));
            });
        }
        if (s.name === 'refresh' && detail && detail !== 'no consumers configured') {
            detail.split('; ').forEach(function (part) {
                if (/^\d+ consumer\(s\)$/.test(part)) return;
                add(/probe|health/i.test(part) ? 'probes' : 'consumers', part);
            });
        } else if (s.name === 'refresh' && detail === 'no consumers configured') add('consumers', 'no consumers configured');
        if (s.name === 'verifyNew' && s.state === 'succeeded') add('references', 'new secret verified: ' + detail);
        if (s.name === 'usageGate' && detail) add('sign-ins', detail);
    });
    signInObservations(r, events).forEach(function (o) { add('sign-ins', 'check ' + (o.check === null ? '?' : o.check) + ': ' + o.detail); });
    var SOURCE_GROUP = { probe: 'probes', signInLog: 'sign-ins', appServiceReference: 'consumers', tag: 'waiver', operator: 'waiver' };
    (Array.isArray(r.evidence) ? r.evidence : []).forEach(function (e) {
        add(SOURCE_GROUP[e.source] || String(e.source || 'evidence'), String(e.detail) + ' (' + e.kind + (e.at ? ', ' + String(e.at).slice(0, 16).replace('T', ' ') : '') + ')');
    });
    var confirm = confirmEvidence(r);
    if (confirm.verdict !== 'pending') add('probes', 'confirm: ' + confirm.text);
    if (r.oldKeyId) add('references', 'old key ' + r.oldKeyId + (r.oldFingerprint ? ' (fingerprint ' + r.oldFingerprint + ')' : ''));
    if (r.newKeyId) add('references', 'new key ' + r.newKeyId + (r.newFingerprint ? ' (fingerprint ' + r.newFingerprint + ')' : ''));
    if (r.newSecretVersion) add('references', 'secret version ' + r.newSecretVersion);
    return out;
}

/**
 * The expiry picture: every listed credential expiring within "days" (and those already expired, pinned to the
 * left edge) as a mark at its fraction of the way along, in the managed or the unmanaged lane.
 */
function expiryTimeline(items, nowMs, days) {
    var span = (days || 90) * DAY_MS;
    var marks = [];
    var expired = 0;
    (items || []).forEach(function (c) {
        var end = ms(c.endDateTime);
        if (end === null) return;
        var delta = end - nowMs;
        if (delta > span) return;
        if (delta < 0) expired++;
        marks.push({
            key: String(c.appId) + '/' + String(c.keyId),
            x: delta < 0 ? 0 : delta / span,
            expired: delta < 0,
            lane: c.managed ? 'managed' : 'unmanaged',
            state: String(c.state),
            tone: delta < 0 ? 's-bad' : stateTone(c.state),
            label: (c.appDisplayName || c.appId) + (c.secretName ? ' (' + c.secretName + ')' : '') + ': ' + String(c.endDateTime).slice(0, 10) + ', ' + daysText(Math.floor(delta / DAY_MS)) + ', ' + c.state
        });
    });
    var ticks = [];
    for (var d = 0; d <= (days || 90); d += 30) ticks.push({ x: d / (days || 90), label: d === 0 ? 'today' : '+' + d + ' d' });
    return { marks: marks.sort(function (a, b) { return a.x - b.x; }), ticks: ticks, expired: expired, days: days || 90 };
}

/**
 * The notification feed, summarised: one line per kind of event per secret, with how many and when last
 * (32 identical Rotation.Failed for one secret become one line "x32").
 */
function notificationGroups(events) {
    var groups = [];
    var index = {};
    (events || []).forEach(function (e) {
        var data = e.data || {};
        var key = String(e.type) + '|' + String(data.secretName || e.subject || '') + '|' + String(data.code || '');
        var g = index[key];
        if (!g) {
            g = index[key] = { key: key, type: String(e.type), secretName: data.secretName ? String(data.secretName) : String(e.subject || ''), count: 0, last: String(e.time), first: String(e.time), line: notificationLine(e) };
            groups.push(g);
        }
        g.count++;
        if (String(e.time) > g.last) { g.last = String(e.time); g.line = notificationLine(e); }
        if (String(e.time) < g.first) g.first = String(e.time);
    });
    return groups.sort(function (a, b) { return a.last < b.last ? 1 : a.last > b.last ? -1 : 0; });
}

/** The question "Rotate now" asks before it starts anything. */
function rotateQuestion(secretName, dryRun) {
    return dryRun
        ? 'Dry run for ' + secretName + ': check everything, change nothing.'
        : 'Rotate ' + secretName + ' now? A new secret is created, verified and published; consumers are refreshed; the old one is deleted only after the grace period and the usage gate.';
}

/** A readable message for a failed API call (the API answers { error: { code, message } }). */
function apiErrorText(status, body) {
    var e = body && body.error;
    if (e && e.code) return status + ' ' + e.code + (e.message ? ': ' + e.message : '');
    return 'HTTP ' + status;
}

/**
 * The body of POST /api/bindings from the enrollment form, or what is missing. Nothing is sent until secret, app
 * id, key id and a reason are all there; the vault is optional (the API's default vault otherwise).
 */
function enrollRequest(form) {
    function v(x) { return String(x === null || x === undefined ? '' : x).trim(); }
    var f = form || {};
    var body = { secretName: v(f.secretName), appId: v(f.appId), keyId: v(f.keyId), reason: v(f.reason) };
    var labels = { secretName: 'secret name', appId: 'application id', keyId: 'key id', reason: 'a reason' };
    var missing = ['secretName', 'appId', 'keyId', 'reason'].filter(function (k) { return !body[k]; });
    if (missing.length) return { ok: false, error: 'Missing ' + missing.map(function (k) { return labels[k]; }).join(', ') + '.' };
    if (v(f.vaultUrl)) body.vaultUrl = v(f.vaultUrl);
    return { ok: true, body: body };
}

/** DELETE /api/bindings/{secretName}?reason=&vaultUrl=, with every part encoded. Null without a reason. */
function unenrollPath(secretName, reason, vaultUrl) {
    var r = String(reason || '').trim();
    if (!secretName || !r) return null;
    var q = 'reason=' + encodeURIComponent(r) + (vaultUrl ? '&vaultUrl=' + encodeURIComponent(vaultUrl) : '');
    return '/bindings/' + encodeURIComponent(String(secretName)) + '?' + q;
}

/** Unmanaged credentials an operator may enroll (not the old keys a rotation is retiring), soonest expiry first. */
function enrollCandidates(items) {
    return (items || [])
        .filter(function (i) { return i && !i.managed && i.state !== 'GracePeriod' && i.kind !== 'certificate'; })
        .slice()
        .sort(function (a, b) { return String(a.endDateTime) < String(b.endDateTime) ? -1 : 1; })
        .map(function (i) {
            return {
                value: String(i.appId) + '/' + String(i.keyId),
                appId: String(i.appId),
                keyId: String(i.keyId),
                vaultUrl: i.vaultUrl ? String(i.vaultUrl) : '',
                secretName: i.secretName ? String(i.secretName) : '',
                label: (i.appDisplayName ? String(i.appDisplayName) : String(i.appId)) +
                    (i.displayName ? ' \u00b7 "' + i.displayName + '"' : '') + ' \u00b7 expires ' + String(i.endDateTime).slice(0, 10)
            };
        });
}

function actorName(a) {
    if (!a) return 'unknown';
    if (a.kind === 'rotator') return 'the rotator';
    return String(a.name || a.appId || a.objectId || 'an operator');
}

/** One line of the enrollment history (GET /api/bindings/history). */
function bindingHistoryLine(e) {
    var x = e || {};
    var what = { enrolled: 'enrolled', unenrolled: 'unenrolled', rotated: 'moved to the new key after rotation' }[x.action] || String(x.action);
    return {
        at: String(x.at || ''),
        action: String(x.action || ''),
        secretName: String(x.secretName || ''),
        text: String(x.secretName) + ' ' + what + ' by ' + actorName(x.actor) +
            ' (app ' + String(x.appId) + ', key ' + String(x.keyId) + (x.previousKeyId ? ', was ' + x.previousKeyId : '') + ')' +
            (x.reason ? ' \u2014 \u201c' + x.reason + '\u201d' : '')
    };
}

var api = {
    enrollRequest: enrollRequest,
    unenrollPath: unenrollPath,
    enrollCandidates: enrollCandidates,
    bindingHistoryLine: bindingHistoryLine,
    readFragmentToken: readFragmentToken,
    decodeClaims: decodeClaims,
    describeToken: describeToken,
    apiBase: apiBase,
    countCards: countCards,
    stateTone: stateTone,
    daysText: daysText,
    credentialRow: credentialRow,
    evidenceOf: evidenceOf,
    rotationFacts: rotationFacts,
    signInObservations: signInObservations,
    latestRotations: latestRotations,
    rotationTitle: rotationTitle,
    notificationLine: notificationLine,
    apiErrorText: apiErrorText,
    STEP_ORDER: STEP_ORDER,
    referenceNow: referenceNow,
    durationText: durationText,
    historyBySecret: historyBySecret,
    mergeHistory: mergeHistory,
    waiverLine: waiverLine,
    startedBy: startedBy,
    needsAction: needsAction,
    inFlight: inFlight,
    confirmEvidence: confirmEvidence,
    stepBar: stepBar,
    evidenceList: evidenceList,
    expiryTimeline: expiryTimeline,
    notificationGroups: notificationGroups,
    rotateQuestion: rotateQuestion
};
if (typeof module === 'object' && module && module.exports) module.exports = api;
else root.DashboardLogic = api;
})(this);
`;
