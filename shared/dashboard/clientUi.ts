/**
 * The dashboard's DOM code as browser JavaScript. Every piece of data becomes a text node or an attribute value
 * (never markup), so nothing the API returns can inject HTML. The access token lives in this tab's memory only.
 */
export const DASHBOARD_APP_JS = String.raw`(function () {
'use strict';
var L = window.DashboardLogic;
var token = null;
var who = null;
var timer = null;
var open = {};
var query = new URLSearchParams(location.search);
var refreshMs = Math.max(500, Number(query.get('refresh')) || 5000);
var base = L.apiBase(location.pathname);

function $(id) { return document.getElementById(id); }

/** createElement with text children: the only way this page builds DOM. */
function h(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'className') node.className = v;
        else if (k === 'onclick') node.addEventListener('click', v);
        else node.setAttribute(k, v === true ? '' : String(v));
    });
    (children || []).forEach(function (c) {
        if (c === null || c === undefined) return;
        node.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    });
    return node;
}

function replaceChildren(node, children) {
    while (node.firstChild) node.removeChild(node.firstChild);
    children.forEach(function (c) { node.appendChild(c); });
}

function setStatus(text, isError) {
    var s = $('status');
    s.textContent = text || '';
    s.className = isError ? 'error' : '';
}

function showSignIn(message) {
    token = null;
    who = null;
    if (timer) clearInterval(timer);
    timer = null;
    $('main').hidden = true;
    $('signout').hidden = true;
    $('who').textContent = message || '';
    $('signin').hidden = false;
}

function signIn(value) {
    var info = L.describeToken(value, Date.now());
    if (!info.ok) { showSignIn('Not signed in: ' + info.reason); return; }
    token = value;
    who = info;
    $('signin').hidden = true;
    $('main').hidden = false;
    $('signout').hidden = false;
    $('who').textContent = (info.name || 'operator') + ' \u00b7 ' + (info.roles.join(', ') || 'no app roles');
    refresh();
    timer = setInterval(refresh, refreshMs);
}

function call(method, path, body) {
    var init = { method: method, headers: { authorization: 'Bearer ' + token }, cache: 'no-store', credentials: 'omit' };
    if (body !== undefined) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(base + path, init).then(function (res) {
        return res.text().then(function (text) {
            var parsed = null;
            try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = null; }
            if (res.status === 401) { showSignIn('Signed out: ' + L.apiErrorText(res.status, parsed)); throw new Error('unauthorized'); }
            if (!res.ok) throw new Error(L.apiErrorText(res.status, parsed));
            return parsed;
        });
    });
}

var busy = false;
function refresh() {
    if (!token || busy) return;
    busy = true;
    Promise.all([
        call('GET', '/credentials?top=1000'),
        call('GET', '/rotations?top=20'),
        call('GET', '/notifications?top=50')
    ]).then(function (r) {
        renderInventory(r[0], L.latestRotations(r[1].items || []));
        renderRotations(r[1].items || [], r[2].items || []);
        renderNotifications(r[2].items || []);
        document.body.setAttribute('data-loaded', 'true');
    }).catch(function (e) {
        if (token) setStatus('Refresh failed: ' + e.message, true);
    }).then(function () { busy = false; });
}

function renderInventory(inv, latest) {
    $('generated').textContent = inv.generatedAt ? '(scan of ' + inv.generatedAt + (inv.paused ? ', rotation paused' : '') + ')' : '(no scan has completed yet)';
    replaceChildren($('counts'), L.countCards(inv.counts).map(function (c) {
        return h('div', { className: 'card ' + c.tone, 'data-count': c.key }, [
            h('div', { className: 'value' }, [c.value === null ? '\u2013' : c.value]),
            h('div', { className: 'label' }, [c.label])
        ]);
    }));
    var rows = (inv.items || []).map(L.credentialRow);
    var shownAll = typeof inv.total !== 'number' || inv.total <= rows.length;
    $('credentials-note').textContent = (shownAll ? '' : 'showing ' + rows.length + ' of ' + inv.total + '; ') +
        'credentials worth a look: managed, not healthy, or expiring within 90 days' +
        (inv.omitted ? '; ' + inv.omitted + ' more left out of the scan\u2019s list' : '');
    var tbody = $('credentials').tBodies[0];
    if (rows.length === 0) {
        replaceChildren(tbody, [h('tr', {}, [h('td', { colspan: 6, className: 'empty' }, ['No credentials need attention.'])])]);
        return;
    }
    replaceChildren(tbody, rows.map(function (row) {
        var actions = row.managed ? [
            actionButton('Rotate now', row, false),
            actionButton('Dry run', row, true)
        ] : [h('span', { className: 's-muted' }, ['not managed'])];
        return h('tr', { 'data-key': row.key, 'data-secret': row.secretName }, [
            h('td', {}, [h('span', { className: 'badge ' + row.tone }, [row.state])]),
            h('td', {}, [row.app, h('br'), h('code', {}, [row.appId])]),
            h('td', {}, [row.credential, h('br'), h('code', {}, [row.keyId])]),
            h('td', {}, [row.expires, h('br'), h('span', { className: 's-muted' }, [row.days])]),
            h('td', {}, row.managed ? [h('code', {}, [row.secretName])].concat(lastRotation(latest[row.secretName])) : ['no']),
            h('td', {}, actions)
        ]);
    }));
}

function lastRotation(last) {
    if (!last) return [];
    return [h('br'), h('span', { className: 's-muted' }, ['last rotation ']),
        h('span', { className: 'badge ' + last.tone, 'data-field': 'last-rotation' }, [last.status])];
}

function actionButton(label, row, dryRun) {
    var canWrite = who && who.canWrite;
    return h('button', {
        type: 'button',
        'data-action': dryRun ? 'dry-run' : 'rotate',
        disabled: !canWrite,
        title: canWrite ? null : 'needs the Rotation.Write app role',
        onclick: function (ev) {
            ev.target.disabled = true;
            var body = { secretName: row.secretName, dryRun: dryRun, reason: 'dashboard' };
            if (row.vaultUrl) body.vaultUrl = row.vaultUrl;
            call('POST', '/rotations', body).then(function (res) {
                open[res.id] = true;
                setStatus((dryRun ? 'Dry run ' : 'Rotation ') + res.id + (res.alreadyRunning ? ' is already running' : ' started'));
                refresh();
            }).catch(function (e) { setStatus('Could not start: ' + e.message, true); });
        }
    }, [label]);
}

function renderRotations(items, events) {
    if (items.length === 0) { replaceChildren($('rotations'), [h('p', { className: 'empty' }, ['No rotations yet.'])]); return; }
    replaceChildren($('rotations'), items.map(function (r) {
        var details = h('details', { className: 'rotation', 'data-rotation-id': r.id, 'data-status': r.status, open: !!open[r.id] }, [
            h('summary', {}, [
                h('strong', {}, [L.rotationTitle(r)]), ' ',
                h('span', { className: 'badge ' + L.stateTone(r.status), 'data-field': 'status' }, [r.status]), ' ',
                h('span', { className: 's-muted' }, [r.createdAt || '']), ' ',
                h('code', { className: 's-muted' }, [r.id])
            ]),
            h('div', { className: 'facts' }, L.rotationFacts(r).reduce(function (acc, f) {
                acc.push(h('span', { className: 's-muted' }, [f[0]]), h('span', { className: 'mono' }, [f[1]]));
                return acc;
            }, [])),
            h('ol', {}, (r.steps || []).map(function (s) {
                return h('li', { className: 'step', 'data-step': s.name, 'data-state': s.state }, [
                    h('strong', {}, [s.name]), ' ',
                    h('span', { className: 'badge ' + L.stateTone(s.state) }, [s.state]), ' ',
                    h('span', { className: 's-muted' }, [s.at]), h('br'),
                    h('span', { className: 'detail' }, [s.detail]), h('br'),
                    h('span', {}, L.evidenceOf(s, r).map(function (e) {
                        return h('span', { className: 'chip', 'data-evidence': e.kind }, [e.label + ': ', h('code', {}, [e.value])]);
                    })),
                    s.name === 'usageGate' ? h('span', {}, L.signInObservations(r, events).map(function (o) {
                        return h('span', { className: 'chip', 'data-evidence': 'signIns' }, [
                            'check ' + (o.check === null ? '?' : o.check) + ': ', h('code', {}, [o.detail])
                        ]);
                    })) : null
                ]);
            }))
        ]);
        details.addEventListener('toggle', function () { open[r.id] = details.open; });
        return details;
    }));
}

function renderNotifications(items) {
    if (items.length === 0) { replaceChildren($('notifications'), [h('li', { className: 'empty' }, ['Nothing published yet.'])]); return; }
    replaceChildren($('notifications'), items.map(function (e) {
        var n = L.notificationLine(e);
        return h('li', { 'data-type': n.type, 'data-rotation': n.rotationId }, [
            h('span', { className: 's-muted' }, [n.time]), ' ', h('strong', {}, [n.type]), ' ', n.headline, h('br'),
            h('span', { className: 'mono s-muted' }, [n.facts.map(function (f) { return f[0] + '=' + f[1]; }).join(' ')])
        ]);
    }));
}

$('signin-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var value = $('token').value.trim();
    $('token').value = '';
    signIn(value);
});
$('signout').addEventListener('click', function () { showSignIn('Signed out.'); });

// The fragment never reaches the server; remove it from the address bar and history right away.
var fragment = L.readFragmentToken(location.hash);
if (fragment.token) history.replaceState(null, '', location.pathname + location.search + fragment.rest);
if (fragment.token) signIn(fragment.token); else showSignIn('');
})();
`;
