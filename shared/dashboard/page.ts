/**
 * The dashboard's HTML shell. It holds no data: the script signs the operator in with Entra (authorization code +
 * PKCE through msal-browser, served from this app) and reads everything from the authenticated operator API.
 * Asset URLs are relative, so any route prefix works. Order on the page: what needs action, rotations in flight,
 * the expiry picture, then history, the full credential table and the notification feed.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Entra credential rotator</title>
<link rel="icon" href="dashboard/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="dashboard/app.css">
</head>
<body>
<header>
  <h1>Entra credential rotator</h1>
  <span id="who"></span>
  <button id="signout" type="button" hidden>Sign out</button>
</header>
<section id="signin" hidden>
  <h2>Sign in</h2>
  <p id="signin-message" role="alert"></p>
  <div id="signin-entra" hidden>
    <button id="signin-button" type="button" class="primary">Sign in with Microsoft Entra ID</button>
    <p class="hint">You sign in on your organisation's Entra sign-in page and come back here. You need the app
      role Rotation.Read to view and Rotation.Write to start rotations. The sandbox signs you in as its operator
      user (no password); the first time, your browser may ask you to trust the sandbox's local certificate.</p>
  </div>
  <details id="signin-paste">
    <summary>Or paste an access token</summary>
    <form id="signin-form">
      <label for="token">Operator access token for this app's API</label>
      <textarea id="token" rows="4" autocomplete="off" spellcheck="false"></textarea>
      <button type="submit">Use this token</button>
    </form>
    <p class="hint">e.g. <code>az account get-access-token --resource api://&lt;app id uri&gt; --query accessToken -o tsv</code>,
      or in the sandbox <code>npm run -s sandbox:token</code>. The token stays in this tab's memory and is sent only to
      this app's API.</p>
  </details>
</section>
<main id="main" hidden>
  <p id="status" role="status"></p>
  <section aria-labelledby="action-title" id="action-section">
    <h2 id="action-title">Needs action</h2>
    <div id="actions" class="action-list"></div>
  </section>
  <section aria-labelledby="inflight-title">
    <h2 id="inflight-title">Rotations in flight</h2>
    <div id="inflight"></div>
  </section>
  <section aria-labelledby="timeline-title">
    <h2 id="timeline-title">Expiry, next 90 days <small id="generated"></small></h2>
    <div id="timeline" class="timeline"></div>
    <div id="counts" class="cards"></div>
  </section>
  <section aria-labelledby="history-title">
    <h2 id="history-title">Rotations by secret <small>newest first; open one for its steps and evidence</small></h2>
    <div id="history"></div>
  </section>
  <section aria-labelledby="credentials-title">
    <h2 id="credentials-title">Credentials <small id="credentials-note"></small></h2>
    <div class="table-wrap">
    <table id="credentials">
      <thead><tr><th>State</th><th>Application</th><th>Credential</th><th>Expires</th><th>Managed</th><th>Actions</th></tr></thead>
      <tbody></tbody>
    </table>
    </div>
  </section>
  <section aria-labelledby="enroll-title" id="enroll-section">
    <h2 id="enroll-title">Enrollment <small>only enrolled credentials are rotated; enrolling and unenrolling need Rotation.Admin</small></h2>
    <form id="enroll-form" class="enroll" hidden>
      <label>Unmanaged credential<select id="enroll-pick"><option value="">(or type them below)</option></select></label>
      <label>Vault URL (empty: the default vault)<input id="enroll-vault" autocomplete="off" spellcheck="false"></label>
      <label>Secret name<input id="enroll-secret" autocomplete="off" spellcheck="false"></label>
      <label>Application (client) id<input id="enroll-app" autocomplete="off" spellcheck="false"></label>
      <label>Key id<input id="enroll-key" autocomplete="off" spellcheck="false"></label>
      <div><button type="submit" class="primary" id="enroll-submit">Enroll\u2026</button></div>
    </form>
    <h3>Enrollment history <small>newest first</small></h3>
    <ol id="enroll-history"></ol>
  </section>
  <section aria-labelledby="notifications-title">
    <h2 id="notifications-title">Notifications <small>one line per kind of event and secret</small></h2>
    <ol id="notifications"></ol>
  </section>
</main>
<dialog id="confirm-dialog">
  <form method="dialog" id="confirm-form">
    <h2 id="confirm-title">Rotate now?</h2>
    <p id="confirm-text"></p>
    <label for="confirm-reason" id="confirm-reason-label">Reason (recorded with the rotation)</label>
    <input id="confirm-reason" maxlength="500" required autocomplete="off">
    <div class="dialog-buttons">
      <button value="cancel" type="submit" formnovalidate>Cancel</button>
      <button value="ok" type="submit" class="primary" id="confirm-ok">Start</button>
    </div>
  </form>
</dialog>
<script src="dashboard/msal-browser.min.js"></script>
<script src="dashboard/logic.js"></script>
<script src="dashboard/app.js"></script>
</body>
</html>
`;
