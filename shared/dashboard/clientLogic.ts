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
    if (!claims) return { ok: false, reason: 'not a JWT access token', roles: [], canWrite: false, name: '' };
    var roles = Array.isArray(claims.roles) ? claims.roles.map(String) : [];
    var expired = typeof claims.exp === 'number' && claims.exp * 1000 <= nowMs;
    return {
        ok: !expired,
        reason: expired ? 'the token has expired; get a new one' : '',
        roles: roles,
        canWrite: roles.indexOf('Rotation.Write') >= 0,
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
    var signIns = /(\d+) sign-in\(s\) with the old key[^;]*/i.exec(detail);
    if (signIns) add('signIns', 'sign-ins with old key', signIns[0]);
    else if (/no sign-ins with/i.test(detail)) add('signIns', 'sign-ins with old key', 'none');
    var newKey = /(\d+) sign-in\(s\) with the new key/i.exec(detail);
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

var HEADLINE = ['secretName', 'step', 'status', 'code', 'detail'];

/**
 * One entry of the notification feed: a headline (which secret, which step, what happened) and the event's
 * other facts (ids, key ids, fingerprints) as evidence.
 */
function notificationLine(event) {
    var data = event.data || {};
    function text(v) { return Array.isArray(v) ? v.join(', ') : String(v); }
    var headline = HEADLINE.filter(function (k) { return data[k] !== undefined && data[k] !== null && data[k] !== ''; })
        .map(function (k) { return text(data[k]); });
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

/** A readable message for a failed API call (the API answers { error: { code, message } }). */
function apiErrorText(status, body) {
    var e = body && body.error;
    if (e && e.code) return status + ' ' + e.code + (e.message ? ': ' + e.message : '');
    return 'HTTP ' + status;
}

var api = {
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
    apiErrorText: apiErrorText
};
if (typeof module === 'object' && module && module.exports) module.exports = api;
else root.DashboardLogic = api;
})(this);
`;
