/**
 * The dashboard's DOM code as browser JavaScript. Every piece of data becomes a text node or an attribute value
 * (never markup), so nothing the API returns can inject HTML. Sign-in is the standard single-page-app flow
 * (authorization code + PKCE) through msal-browser; its tokens live in this tab's session storage, as MSAL keeps
 * them. A pasted token stays in memory only. Written without template literals so it can live in this string.
 */
export const DASHBOARD_APP_JS = String.raw`(function () {
'use strict';
var L = window.DashboardLogic;
var SVG = 'http://www.w3.org/2000/svg';
var token = null;
var who = null;
var timer = null;
var open = {};
var pca = null;
var account = null;
var signInConfig = null;
var query = new URLSearchParams(location.search);
var refreshMs = Math.max(500, Number(query.get('refresh')) || 5000);
var base = L.apiBase(location.pathname);

function $(id) { return document.getElementById(id); }

/** createElement with text children: the only way this page builds DOM. */
function h(tag, attrs, children) {
    var node = document.createElement(tag);
    return fill(node, attrs, children);
}
function s(tag, attrs, children) {
    return fill(document.createElementNS(SVG, tag), attrs, children);
}
function fill(node, attrs, children) {
    Object.keys(attrs || {}).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'className') node.setAttribute('class', v);
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
    children.forEach(function (c) { if (c) node.appendChild(c); });
}

function setStatus(text, isError) {
    var el = $('status');
    el.textContent = text || '';
    el.className = isError ? 'error' : '';
}

function when(iso) {
    var t = Date.parse(String(iso || ''));
    if (isNaN(t)) return '';
    return new Date(t).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

// ---- sign-in ---------------------------------------------------------------------------------------------------

function showSignIn(message) {
    token = null;
    who = null;
    if (timer) clearInterval(timer);
    timer = null;
    $('main').hidden = true;
    $('signout').hidden = true;
    $('who').textContent = '';
    $('signin-message').textContent = message || '';
    $('signin-entra').hidden = !pca;
    $('signin-paste').open = !pca;
    $('signin').hidden = false;
}

function useToken(value, source) {
    var info = L.describeToken(value, Date.now());
    if (!info.ok) { showSignIn('Not signed in: ' + info.reason); return; }
    var first = !token;
    token = value;
    who = info;
    who.source = source;
    $('signin').hidden = true;
    $('main').hidden = false;
    $('signout').hidden = false;
    $('who').textContent = (info.name || 'operator') + ' \u00b7 ' + (info.roles.join(', ') || 'no app roles');
    if (first) {
        refresh();
        timer = setInterval(refresh, refreshMs);
    }
}

/** A token for the API: MSAL's cached one, renewed with the refresh token when it is about to expire. */
function currentToken() {
    if (!token) return Promise.reject(new Error('not signed in'));
    if (!pca || !account || who.source !== 'entra') return Promise.resolve(token);
    var info = L.describeToken(token, Date.now() + 5 * 60000);
    if (info.ok) return Promise.resolve(token);
    return silent(false).then(function () { return token; });
}

function silent(force) {
    return pca.acquireTokenSilent({ scopes: signInConfig.scopes, account: account, forceRefresh: !!force })
        .then(function (result) { useToken(result.accessToken, 'entra'); })
        .catch(function (e) {
            showSignIn('Your sign-in has ended (' + (e && e.errorCode ? e.errorCode : 'no token') + '); sign in again.');
            throw new Error('unauthorized');
        });
}

function startMsal() {
    return fetch('dashboard/config.json', { cache: 'no-store', credentials: 'omit' })
        .then(function (res) { return res.ok ? res.json() : {}; })
        .then(function (config) {
            signInConfig = config && config.signIn;
            if (!signInConfig || !window.msal) return null;
            pca = new window.msal.PublicClientApplication({
                auth: {
                    clientId: signInConfig.clientId,
                    authority: signInConfig.authority,
                    // A known authority needs no instance discovery (no call to the public cloud from the sandbox).
                    knownAuthorities: [signInConfig.knownAuthority],
                    redirectUri: location.origin + location.pathname,
                    postLogoutRedirectUri: location.origin + location.pathname
                },
                cache: { cacheLocation: 'sessionStorage' }
            });
            return pca.initialize().then(function () { return pca.handleRedirectPromise(); }).then(function (result) {
                if (result && result.account) account = result.account;
                else account = pca.getAllAccounts()[0] || null;
                if (result && result.accessToken) { useToken(result.accessToken, 'entra'); return true; }
                if (account) return silent(false).then(function () { return true; }, function () { return true; });
                return null;
            });
        })
        .catch(function (e) {
            var reason = e && e.errorCode ? e.errorCode + (e.errorMessage ? ': ' + e.errorMessage : '') : String(e && e.message || e);
            if (/network|fetch/i.test(reason) && signInConfig)
                reason += ' \u2014 can this browser reach ' + signInConfig.authority + '? (the sandbox: open it once and trust its certificate)';
            showSignIn('Sign-in failed: ' + reason);
            return true;
        });
}

$('signin-button').addEventListener('click', function () {
    if (!pca) return;
    $('signin-message').textContent = 'Going to the sign-in page\u2026';
    pca.loginRedirect({ scopes: signInConfig.scopes }).catch(function (e) {
        showSignIn('Sign-in failed: ' + (e && e.errorCode ? e.errorCode : String(e)));
    });
});
$('signin-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var value = $('token').value.trim();
    $('token').value = '';
    useToken(value, 'pasted');
});
$('signout').addEventListener('click', function () {
    if (pca && account && who && who.source === 'entra') {
        var a = account;
        account = null;
        pca.clearCache({ account: a }).then(function () { showSignIn('Signed out.'); });
    } else showSignIn('Signed out.');
});

// ---- API -------------------------------------------------------------------------------------------------------

function call(method, path, body, retried) {
    return currentToken().then(function (bearer) {
        var init = { method: method, headers: { authorization: 'Bearer ' + bearer }, cache: 'no-store', credentials: 'omit' };
        if (body !== undefined) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
        return fetch(base + path, init);
    }).then(function (res) {
        return res.text().then(function (text) {
            var parsed = null;
            try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = null; }
            if (res.status === 401) {
                // One forced renewal before giving up (a restarted sandbox with a new issuer, a revoked token).
                if (!retried && pca && account && who && who.source === 'entra')
                    return silent(true).then(function () { return call(method, path, body, true); });
                showSignIn('Signed out: ' + L.apiErrorText(res.status, parsed));
                throw new Error('unauthorized');
            }
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
        call('GET', '/rotations?top=100'),
        call('GET', '/notifications?top=200'),
        call('GET', '/bindings/history?top=50').catch(function (e) { if (e.message === 'unauthorized') throw e; return { error: e.message }; }),
        call('GET', '/rotations/history?top=100').catch(function (e) { if (e.message === 'unauthorized') throw e; return { error: e.message }; })
    ]).then(function (r) {
        var inv = r[0] || {};
        var rotations = (r[1] && r[1].items) || [];
        var events = (r[2] && r[2].items) || [];
        var now = L.referenceNow(inv, rotations, Date.now());
        renderActions(L.needsAction(inv, rotations, { events: events }), rotations);
        renderInFlight(L.inFlight(rotations), events, now);
        renderTimeline(inv, now);
        renderHistory(r[4] || {}, rotations, events, now);
        renderCredentials(inv, L.latestRotations(rotations));
        renderEnrollment(inv, r[3] || {});
        renderNotifications(events);
        if (/^Refresh failed/.test($('status').textContent)) setStatus('');
        document.body.setAttribute('data-loaded', 'true');
    }).catch(function (e) {
        if (token) setStatus('Refresh failed: ' + e.message, true);
    }).then(function () { busy = false; });
}

// ---- needs action ----------------------------------------------------------------------------------------------

function renderActions(cards) {
    if (cards.length === 0) {
        replaceChildren($('actions'), [h('p', { className: 'all-clear', 'data-empty': 'true' }, ['\u2713 Nothing needs action.'])]);
        return;
    }
    replaceChildren($('actions'), cards.map(function (c) {
        return h('article', { className: 'action ' + c.tone, 'data-action-card': c.kind, 'data-key': c.key, 'data-secret': c.secretName }, [
            h('div', { className: 'action-head' }, [
                h('strong', {}, [c.title]),
                c.count > 1 && c.kind === 'rotation' ? h('span', { className: 'badge s-bad', 'data-field': 'count' }, ['\u00d7' + c.count + ' since ' + when(c.since)]) : null
            ]),
            h('div', { className: 'action-detail' }, [c.detail]),
            h('div', { className: 'action-next' }, [
                h('span', { className: 's-muted' }, ['Next: ']), c.next,
                c.rotationId ? h('button', { type: 'button', className: 'link', onclick: function () { reveal(c.rotationId); } }, ['Show the rotation']) : null,
                c.awaiting && c.awaiting.action === 'acceptNoEvidence' && who && who.canAdmin ? waiverButton(c) : null,
                c.secretName ? actionButton('Rotate now', { secretName: c.secretName, vaultUrl: c.vaultUrl }, false) : null
            ])
        ]);
    }));
}

function reveal(rotationId) {
    open[rotationId] = true;
    var node = document.querySelector('[data-rotation-id="' + CSS.escape(rotationId) + '"]');
    if (node) { node.open = true; var group = node.closest('details.secret'); if (group) group.open = true; node.scrollIntoView({ block: 'start' }); }
}

// ---- rotations: step bars, evidence, history -------------------------------------------------------------------

function stepBar(r, now) {
    return h('ol', { className: 'stepbar', 'aria-label': 'steps of ' + r.secretName }, L.stepBar(r, now).map(function (step) {
        var note = step.state === 'waiting' && step.until ? 'until ' + when(step.until)
            : step.state === 'unproven' ? 'no evidence yet' : step.state === 'waived' ? 'waived, no evidence' : step.duration;
        return h('li', { className: 'seg seg-' + step.state, 'data-step': step.name, 'data-state': step.state, title: step.label + ': ' + step.state + (step.detail ? ' \u2014 ' + step.detail : '') }, [
            h('span', { className: 'seg-name' }, [step.label]),
            h('span', { className: 'seg-note' }, [note || '\u00a0'])
        ]);
    }));
}

function evidence(r, events) {
    var list = L.evidenceList(r, events);
    if (list.length === 0) return h('p', { className: 'empty' }, ['No evidence recorded yet.']);
    var groups = {};
    var order = [];
    list.forEach(function (e) { if (!groups[e.group]) { groups[e.group] = []; order.push(e.group); } groups[e.group].push(e.text); });
    return h('dl', { className: 'evidence' }, order.reduce(function (acc, g) {
        acc.push(h('dt', {}, [g]));
        acc.push(h('dd', {}, [h('ul', {}, groups[g].map(function (t) { return h('li', { 'data-evidence': g }, [t]); }))]));
        return acc;
    }, []));
}

function rotationCard(r, events, now) {
    var details = h('details', { className: 'rotation', 'data-rotation-id': r.id, 'data-status': r.status, open: !!open[r.id] }, [
        h('summary', {}, [
            h('span', { className: 'badge ' + L.stateTone(r.status), 'data-field': 'status' }, [r.status]), ' ',
            h('strong', {}, [L.rotationTitle(r)]), ' ',
            h('span', { className: 's-muted' }, [when(r.createdAt) + ' \u00b7 ' + L.startedBy(r)])
        ]),
        stepBar(r, now),
        r.outcome && r.outcome.code !== 'completed' ? h('p', { className: 'outcome ' + L.stateTone(r.status) }, [r.outcome.code + ': ' + r.outcome.message]) : null,
        r.waiver ? h('p', { className: 'waiver', 'data-field': 'waiver' }, [L.waiverLine(r)]) : null,
        h('h4', {}, ['Evidence']),
        evidence(r, events),
        h('details', { className: 'raw' }, [
            h('summary', {}, ['Step details and ids']),
            h('div', { className: 'facts' }, L.rotationFacts(r).concat([['id', r.id]]).reduce(function (acc, f) {
                acc.push(h('span', { className: 's-muted' }, [f[0]]), h('span', { className: 'mono' }, [f[1]]));
                return acc;
            }, [])),
            h('ol', { className: 'steps' }, (r.steps || []).map(function (st) {
                return h('li', { className: 'step', 'data-step': st.name, 'data-state': st.state }, [
                    h('strong', {}, [st.name]), ' ', h('span', { className: 'badge ' + L.stateTone(st.state) }, [st.state]), ' ',
                    h('span', { className: 's-muted' }, [when(st.at)]), h('br'), h('span', { className: 'detail' }, [st.detail])
                ]);
            }))
        ])
    ]);
    details.addEventListener('toggle', function () { open[r.id] = details.open; });
    return details;
}

function renderInFlight(items, events, now) {
    if (items.length === 0) { replaceChildren($('inflight'), [h('p', { className: 'empty' }, ['No rotation is running.'])]); return; }
    replaceChildren($('inflight'), items.map(function (r) {
        return h('div', { className: 'inflight', 'data-rotation': r.id, 'data-status': r.status }, [
            h('div', {}, [h('strong', {}, [L.rotationTitle(r)]), ' ', h('span', { className: 's-muted' }, ['started ' + when(r.createdAt) + ' by ' + L.startedBy(r)])]),
            stepBar(r, now)
        ]);
    }));
}

function renderHistory(history, rotations, events, now) {
    if (history.error) { replaceChildren($('history'), [h('p', { className: 's-bad' }, ['Could not load the rotation history: ' + history.error])]); return; }
    var bySecret = L.historyBySecret(L.mergeHistory(history.items || [], rotations));
    var names = Object.keys(bySecret).sort(function (a, b) {
        return String(bySecret[b][0].createdAt || '') < String(bySecret[a][0].createdAt || '') ? -1 : 1;
    });
    if (names.length === 0) { replaceChildren($('history'), [h('p', { className: 'empty' }, ['No rotations yet.'])]); return; }
    replaceChildren($('history'), names.map(function (name) {
        var list = bySecret[name];
        var latest = list[0];
        var group = h('details', { className: 'secret', 'data-secret': name, open: !!open['secret:' + name] }, [
            h('summary', {}, [
                h('strong', {}, [name]), ' ',
                h('span', { className: 'badge ' + L.stateTone(latest.status) }, ['latest: ' + latest.status]), ' ',
                h('span', { className: 's-muted' }, [list.length + ' rotation' + (list.length === 1 ? '' : 's') + ' shown'])
            ])
        ].concat(list.map(function (r) { return rotationCard(r, events, now); })));
        group.addEventListener('toggle', function () { open['secret:' + name] = group.open; });
        return group;
    }));
}

// ---- the expiry picture ----------------------------------------------------------------------------------------

function renderTimeline(inv, now) {
    $('generated').textContent = inv.generatedAt ? '(scan of ' + when(inv.generatedAt) + (inv.paused ? ', rotation paused' : '') + ')' : '(no scan has completed yet)';
    var t = L.expiryTimeline(inv.items || [], now, 90);
    var W = 1000, left = 150, right = 985, lanes = { managed: 38, unmanaged: 88 };
    var span = right - left;
    var svg = s('svg', { viewBox: '0 0 ' + W + ' 130', role: 'img', 'aria-label': 'Expiry of ' + t.marks.length + ' credentials over the next 90 days', className: 'timeline-svg' }, [
        s('rect', { x: 100, y: 14, width: 40, height: 98, className: 'expired-zone' }),
        s('text', { x: 120, y: 126, className: 'tick-label', 'text-anchor': 'middle' }, ['expired']),
        s('text', { x: 4, y: lanes.managed + 4, className: 'lane-label' }, ['managed']),
        s('text', { x: 4, y: lanes.unmanaged + 4, className: 'lane-label' }, ['unmanaged']),
        s('line', { x1: left, x2: right, y1: lanes.managed, y2: lanes.managed, className: 'lane' }),
        s('line', { x1: left, x2: right, y1: lanes.unmanaged, y2: lanes.unmanaged, className: 'lane' })
    ].concat(t.ticks.map(function (k) {
        var x = left + k.x * span;
        return s('g', {}, [
            s('line', { x1: x, x2: x, y1: 14, y2: 112, className: 'tick' }),
            s('text', { x: x, y: 126, className: 'tick-label', 'text-anchor': k.x === 0 ? 'start' : k.x === 1 ? 'end' : 'middle' }, [k.label])
        ]);
    })));
    var stack = {};
    t.marks.forEach(function (m) {
        var x = m.expired ? 108 + (Object.keys(stack).length % 4) * 8 : left + m.x * span;
        var bucket = m.lane + ':' + Math.round(x / 8);
        var n = stack[bucket] = (stack[bucket] || 0) + 1;
        var y = lanes[m.lane] + ((n - 1) % 4 - 1.5) * 9;
        svg.appendChild(s(m.lane === 'managed' ? 'rect' : 'circle', m.lane === 'managed'
            ? { x: x - 5, y: y - 5, width: 10, height: 10, className: 'mark ' + m.tone, 'data-mark': m.key, 'data-lane': m.lane }
            : { cx: x, cy: y, r: 5, className: 'mark ' + m.tone, 'data-mark': m.key, 'data-lane': m.lane }, [s('title', {}, [m.label])]));
    });
    replaceChildren($('timeline'), [
        svg,
        h('p', { className: 'legend' }, [
            h('span', { className: 'key managed' }, ['\u25a0 managed (rotated by this app)']), ' ',
            h('span', { className: 'key' }, ['\u25cf unmanaged']), ' ',
            h('span', { className: 's-bad' }, ['\u25cf expired']), ' ',
            h('span', { className: 's-warn' }, ['\u25cf expiring / rotating']), ' ',
            h('span', { className: 's-ok' }, ['\u25cf healthy']), ' ',
            h('span', { className: 's-muted' }, [t.marks.length + ' credentials in view; hover a mark for its name'])
        ])
    ]);
    replaceChildren($('counts'), L.countCards(inv.counts).map(function (c) {
        return h('div', { className: 'card ' + c.tone, 'data-count': c.key }, [
            h('div', { className: 'value' }, [c.value === null ? '\u2013' : c.value]),
            h('div', { className: 'label' }, [c.label])
        ]);
    }));
}

// ---- the credential table --------------------------------------------------------------------------------------

function renderCredentials(inv, latest) {
    var rows = (inv.items || []).map(L.credentialRow);
    var shownAll = typeof inv.total !== 'number' || inv.total <= rows.length;
    $('credentials-note').textContent = (shownAll ? '' : 'showing ' + rows.length + ' of ' + inv.total + '; ') +
        'managed, not healthy, or expiring within 90 days, as of the last scan' +
        (inv.omitted ? '; ' + inv.omitted + ' more left out of the scan\u2019s list' : '');
    var tbody = $('credentials').tBodies[0];
    if (rows.length === 0) {
        replaceChildren(tbody, [h('tr', {}, [h('td', { colspan: 6, className: 'empty' }, ['No credentials need attention.'])])]);
        return;
    }
    replaceChildren(tbody, rows.map(function (row) {
        var actions = row.managed ? [actionButton('Rotate now', row, false), actionButton('Dry run', row, true)]
                .concat(who && who.canAdmin ? [h('button', { type: 'button', 'data-action': 'unenroll', onclick: function (ev) { confirmUnenroll(row, ev.target); } }, ['Unenroll'])] : [])
            : [h('span', { className: 's-muted' }, [row.state === 'GracePeriod' ? 'old key, being retired' : 'not managed'])];
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

// ---- safe actions ----------------------------------------------------------------------------------------------

/** "Rotate now" and "Dry run" ask first, with a reason that is recorded with the rotation. */
function actionButton(label, row, dryRun) {
    var canWrite = who && who.canWrite;
    return h('button', {
        type: 'button',
        'data-action': dryRun ? 'dry-run' : 'rotate',
        disabled: !canWrite,
        title: canWrite ? null : 'needs the Rotation.Write app role',
        onclick: function (ev) { confirmStart(row, dryRun, ev.target); }
    }, [label]);
}

/** The one confirmation dialog: a question, a required reason, and what to do with the reason on OK. */
function ask(title, text, reasonLabel, okLabel, then) {
    var dialog = $('confirm-dialog');
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-reason-label').textContent = reasonLabel;
    $('confirm-reason').value = '';
    $('confirm-ok').textContent = okLabel;
    dialog.onclose = function () {
        if (dialog.returnValue !== 'ok') return;
        then($('confirm-reason').value.trim());
    };
    dialog.returnValue = '';
    dialog.showModal();
    $('confirm-reason').focus();
}

function confirmStart(row, dryRun, button) {
    ask(dryRun ? 'Dry run ' + row.secretName + '?' : 'Rotate ' + row.secretName + ' now?', L.rotateQuestion(row.secretName, dryRun),
        'Reason (recorded with the rotation)', dryRun ? 'Start dry run' : 'Rotate now', function (reason) {
        if (button) button.disabled = true;
        var body = { secretName: row.secretName, dryRun: dryRun, reason: reason };
        if (row.vaultUrl) body.vaultUrl = row.vaultUrl;
        setStatus((dryRun ? 'Starting a dry run of ' : 'Starting the rotation of ') + row.secretName + '\u2026');
        call('POST', '/rotations', body).then(function (res) {
            open[res.id] = true;
            open['secret:' + row.secretName] = true;
            setStatus((dryRun ? 'Dry run ' : 'Rotation ') + 'of ' + row.secretName + (res.alreadyRunning ? ' is already running' : ' started') + ' (' + res.id + ')');
            refresh();
        }).catch(function (e) {
            setStatus('Could not start: ' + e.message, true);
        }).then(function () { if (button) button.disabled = false; });
    });
}

function waiverButton(card) {
    return h('button', { type: 'button', 'data-action': 'accept-no-evidence', onclick: function (ev) { confirmWaiver(card, ev.target); } }, ['Accept no evidence\u2026']);
}

/** The operator's "accept no evidence" for one waiting rotation (Rotation.Admin), with a required reason. */
function confirmWaiver(card, button) {
    ask('Accept \u201cno evidence\u201d for ' + card.secretName + '?',
        'Nothing showed a consumer using the new key of ' + card.secretName + '. If you accept, one more usage check runs and, when the sign-in log shows no use of the old key, the old key is deleted. Your name, the time and the reason are kept in the rotation\u2019s history.',
        'Reason (recorded in the rotation history)', 'Accept and continue', function (reason) {
        if (button) button.disabled = true;
        setStatus('Accepting \u201cno evidence\u201d for ' + card.secretName + '\u2026');
        call('POST', '/rotations/' + encodeURIComponent(card.rotationId) + '/accept-no-evidence', { reason: reason }).then(function () {
            open[card.rotationId] = true;
            setStatus('Accepted \u201cno evidence\u201d for ' + card.secretName + '; the rotation continues.');
            refresh();
        }).catch(function (e) {
            setStatus('Could not accept: ' + e.message, true);
        }).then(function () { if (button) button.disabled = false; });
    });
}

// ---- enrollment (Rotation.Admin) -------------------------------------------------------------------------------

function confirmUnenroll(row, button) {
    ask('Unenroll ' + row.secretName + '?',
        'The rotator stops rotating ' + row.secretName + ' (app ' + row.appId + ', key ' + row.keyId + '). Nothing in the vault or on the app changes; a rotation already running finishes.',
        'Reason (recorded in the enrollment history)', 'Unenroll', function (reason) {
        var path = L.unenrollPath(row.secretName, reason, row.vaultUrl);
        if (!path) { setStatus('Could not unenroll: a reason is required.', true); return; }
        if (button) button.disabled = true;
        setStatus('Unenrolling ' + row.secretName + '\u2026');
        call('DELETE', path).then(function () {
            setStatus('Unenrolled ' + row.secretName + '; it leaves the managed list at the next scan.');
            refresh();
        }).catch(function (e) {
            setStatus('Could not unenroll: ' + e.message, true);
        }).then(function () { if (button) button.disabled = false; });
    });
}

var candidates = [];
function renderEnrollment(inv, history) {
    $('enroll-form').hidden = !(who && who.canAdmin);
    var pick = $('enroll-pick');
    var chosen = pick.value;
    candidates = L.enrollCandidates(inv.items || []);
    replaceChildren(pick, [h('option', { value: '' }, ['(or type them below)'])].concat(candidates.map(function (c) {
        return h('option', { value: c.value, selected: c.value === chosen }, [c.label]);
    })));
    if (history.error) { replaceChildren($('enroll-history'), [h('li', { className: 's-bad' }, ['Could not load: ' + history.error])]); return; }
    var items = history.items || [];
    if (items.length === 0) { replaceChildren($('enroll-history'), [h('li', { className: 'empty' }, ['Nothing enrolled yet.'])]); return; }
    replaceChildren($('enroll-history'), items.map(function (e) {
        var line = L.bindingHistoryLine(e);
        return h('li', { 'data-binding-action': line.action, 'data-secret': line.secretName }, [h('span', { className: 's-muted' }, [when(line.at)]), ' ', line.text]);
    }));
}

$('enroll-pick').addEventListener('change', function () {
    var c = candidates.filter(function (x) { return x.value === $('enroll-pick').value; })[0];
    if (!c) return;
    $('enroll-app').value = c.appId;
    $('enroll-key').value = c.keyId;
    if (c.vaultUrl) $('enroll-vault').value = c.vaultUrl;
    if (c.secretName) $('enroll-secret').value = c.secretName;
});

$('enroll-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var form = { vaultUrl: $('enroll-vault').value, secretName: $('enroll-secret').value, appId: $('enroll-app').value, keyId: $('enroll-key').value, reason: 'x' };
    var check = L.enrollRequest(form);
    if (!check.ok) { setStatus('Could not enroll: ' + check.error, true); return; }
    var t = check.body;
    ask('Enroll ' + t.secretName + '?',
        'The rotator will rotate key ' + t.keyId + ' of application ' + t.appId + ' and write each new secret to ' + t.secretName +
        (t.vaultUrl ? ' in ' + t.vaultUrl : '') + '. The API checks that the key exists and that the rotator owns the application.',
        'Reason (recorded in the enrollment history)', 'Enroll', function (reason) {
        form.reason = reason;
        var req = L.enrollRequest(form);
        if (!req.ok) { setStatus('Could not enroll: ' + req.error, true); return; }
        $('enroll-submit').disabled = true;
        setStatus('Enrolling ' + t.secretName + '\u2026');
        call('POST', '/bindings', req.body).then(function (res) {
            setStatus((res && res.unchanged ? 'Already enrolled: ' : 'Enrolled ') + t.secretName + '; it is managed from the next scan.');
            ['enroll-secret', 'enroll-app', 'enroll-key', 'enroll-vault'].forEach(function (id) { $(id).value = ''; });
            $('enroll-pick').value = '';
            refresh();
        }).catch(function (e) {
            setStatus('Could not enroll: ' + e.message, true);
        }).then(function () { $('enroll-submit').disabled = false; });
    });
});

// ---- notifications ---------------------------------------------------------------------------------------------

function renderNotifications(items) {
    var groups = L.notificationGroups(items);
    if (groups.length === 0) { replaceChildren($('notifications'), [h('li', { className: 'empty' }, ['Nothing published yet.'])]); return; }
    replaceChildren($('notifications'), groups.map(function (g) {
        return h('li', { 'data-type': g.type, 'data-rotation': g.line.rotationId, 'data-count': g.count }, [
            h('span', { className: 's-muted' }, [when(g.last)]), ' ', h('strong', {}, [g.type]), ' ',
            g.line.headline,
            g.count > 1 ? h('span', { className: 'badge s-muted' }, ['\u00d7' + g.count + ' since ' + when(g.first)]) : null
        ]);
    }));
}

// ---- start -----------------------------------------------------------------------------------------------------

// A token in the fragment ('#access_token=') never reaches the server; remove it from the address bar right away.
var fragment = L.readFragmentToken(location.hash);
if (fragment.token) {
    history.replaceState(null, '', location.pathname + location.search + fragment.rest);
    startMsal().then(function () { useToken(fragment.token, 'pasted'); });
} else {
    startMsal().then(function (done) { if (!done) showSignIn(''); });
}
})();
`;
