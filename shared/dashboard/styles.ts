/** The dashboard's stylesheet (served as a file, so the content security policy needs no inline styles). */
export const DASHBOARD_CSS = `
:root { --fg: #1b1f24; --muted: #5b6470; --line: #d8dde3; --bg: #f6f8fa; --ok: #1a7f37; --warn: #9a6700;
  --bad: #cf222e; --info: #0969da; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); }
body { margin: 0; background: var(--bg); }
header { display: flex; align-items: center; gap: 1rem; padding: 0.6rem 1.2rem; background: #24292f; color: #fff; }
header h1 { font-size: 1.1rem; margin: 0; flex: 1; }
main, #signin { padding: 0.8rem 1.2rem; max-width: 1400px; }
h2 { font-size: 1rem; margin: 1.2rem 0 0.5rem; }
h2 small { color: var(--muted); font-weight: normal; }
textarea { width: 100%; font-family: monospace; }
.hint { color: var(--muted); font-size: 0.85rem; }
#status { min-height: 1.2rem; color: var(--info); margin: 0; }
#status.error { color: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(130px, 1fr)); gap: 0.5rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem 0.7rem; }
.card .value { font-size: 1.6rem; font-weight: 600; }
.card .label { color: var(--muted); font-size: 0.8rem; }
.card.alert .value { color: var(--bad); }
.card.warn .value { color: var(--warn); }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 0.85rem; }
th, td { border-bottom: 1px solid var(--line); padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eef1f4; }
code, .mono { font-family: ui-monospace, monospace; font-size: 0.8rem; }
.badge { display: inline-block; border-radius: 10px; padding: 0 0.5rem; font-size: 0.75rem; border: 1px solid; }
.s-ok { color: var(--ok); } .s-warn { color: var(--warn); } .s-bad { color: var(--bad); } .s-info { color: var(--info); }
.s-muted { color: var(--muted); }
button { cursor: pointer; margin-right: 0.3rem; }
.rotation { background: #fff; border: 1px solid var(--line); border-radius: 6px; margin-bottom: 0.5rem; }
.rotation summary { padding: 0.4rem 0.7rem; cursor: pointer; }
.rotation .facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 0.8rem; padding: 0 0.7rem;
  font-size: 0.8rem; }
.rotation ol { margin: 0.4rem 0; padding: 0 0.7rem 0.4rem 2rem; font-size: 0.85rem; }
.step .detail { color: var(--muted); }
.chip { display: inline-block; background: #eef1f4; border-radius: 4px; padding: 0 0.3rem; margin: 0.1rem 0.2rem 0 0;
  font-size: 0.75rem; }
#notifications { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 0.4rem 0.4rem 0.4rem 2rem;
  font-size: 0.85rem; max-height: 24rem; overflow: auto; }
.empty { color: var(--muted); font-style: italic; }
`;
