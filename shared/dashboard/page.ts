/**
 * The dashboard's HTML shell. It holds no data: the script signs the operator in with an Entra access token and
 * reads everything from the authenticated operator API. Asset URLs are relative, so any route prefix works.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Entra credential rotator</title>
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
  <form id="signin-form">
    <label for="token">Operator access token (app role Rotation.Read; Rotation.Write to start rotations)</label>
    <textarea id="token" rows="4" autocomplete="off" spellcheck="false"></textarea>
    <button type="submit">Sign in</button>
  </form>
  <p class="hint">Get a token with your own Entra sign-in, e.g.
    <code>az account get-access-token --resource api://&lt;app id uri&gt; --query accessToken -o tsv</code>,
    or open this page as <code>…/dashboard#access_token=&lt;token&gt;</code>. The token stays in this tab's memory
    and is sent only to this app's API.</p>
</section>
<main id="main" hidden>
  <p id="status" role="status"></p>
  <section aria-labelledby="counts-title">
    <h2 id="counts-title">Inventory <small id="generated"></small></h2>
    <div id="counts" class="cards"></div>
  </section>
  <section aria-labelledby="credentials-title">
    <h2 id="credentials-title">Credentials <small id="credentials-note"></small></h2>
    <table id="credentials">
      <thead><tr><th>State</th><th>Application</th><th>Credential</th><th>Expires</th><th>Managed</th><th>Actions</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section aria-labelledby="rotations-title">
    <h2 id="rotations-title">Rotations</h2>
    <div id="rotations"></div>
  </section>
  <section aria-labelledby="notifications-title">
    <h2 id="notifications-title">Notifications</h2>
    <ol id="notifications"></ol>
  </section>
</main>
<script src="dashboard/logic.js"></script>
<script src="dashboard/app.js"></script>
</body>
</html>
`;
