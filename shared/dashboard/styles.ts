/** The dashboard's stylesheet (served as a file, so the content security policy needs no inline styles). */
export const DASHBOARD_CSS = `
:root { --fg: #1b1f24; --muted: #5b6470; --line: #d8dde3; --bg: #f6f8fa; --ok: #1a7f37; --warn: #9a6700;
  --bad: #cf222e; --info: #0969da; --pending: #e6e9ed; font-family: system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--fg); }
body { margin: 0; background: var(--bg); }
header { display: flex; align-items: center; gap: 1rem; padding: 0.6rem 1.2rem; background: #24292f; color: #fff;
  flex-wrap: wrap; }
header h1 { font-size: 1.1rem; margin: 0; flex: 1; }
main, #signin { padding: 0.4rem 1.2rem 1rem; max-width: 1400px; }
h2 { font-size: 1rem; margin: 1rem 0 0.5rem; }
h2 small, h4 { color: var(--muted); font-weight: normal; }
h4 { margin: 0.5rem 0 0.2rem; font-size: 0.85rem; }
textarea { width: 100%; font-family: monospace; }
.hint { color: var(--muted); font-size: 0.85rem; max-width: 60rem; }
#status { min-height: 1.2rem; color: var(--info); margin: 0.3rem 0 0; }
#status.error { color: var(--bad); }
button { cursor: pointer; margin-right: 0.3rem; font: inherit; font-size: 0.85rem; }
button.primary { background: var(--info); color: #fff; border: 1px solid var(--info); border-radius: 6px;
  padding: 0.4rem 0.9rem; }
button.link { background: none; border: none; color: var(--info); text-decoration: underline; padding: 0 0.3rem; }
.s-ok { color: var(--ok); } .s-warn { color: var(--warn); } .s-bad { color: var(--bad); } .s-info { color: var(--info); }
.s-muted { color: var(--muted); }
.badge { display: inline-block; border-radius: 10px; padding: 0 0.5rem; font-size: 0.75rem; border: 1px solid;
  white-space: nowrap; }
code, .mono { font-family: ui-monospace, monospace; font-size: 0.8rem; overflow-wrap: anywhere; }
.empty { color: var(--muted); font-style: italic; margin: 0.2rem 0; }

/* Needs action */
.action-list { display: grid; gap: 0.5rem; }
.action { background: #fff; border: 1px solid var(--line); border-left: 5px solid currentColor; border-radius: 6px;
  padding: 0.5rem 0.8rem; }
.action .action-head { display: flex; gap: 0.6rem; align-items: baseline; flex-wrap: wrap; }
.action strong { color: var(--fg); }
.action-detail, .action-next { color: var(--fg); font-size: 0.85rem; margin-top: 0.2rem; overflow-wrap: anywhere; }
.all-clear { background: #fff; border: 1px solid var(--line); border-left: 5px solid var(--ok); border-radius: 6px;
  padding: 0.5rem 0.8rem; margin: 0; color: var(--ok); }

/* Step bar */
.stepbar { display: flex; flex-wrap: wrap; list-style: none; margin: 0.4rem 0; padding: 0; gap: 2px; }
.seg { flex: 1 1 6.5rem; min-width: 6.5rem; padding: 0.25rem 0.4rem; font-size: 0.75rem; background: var(--pending);
  color: var(--muted); display: flex; flex-direction: column; border-radius: 3px; }
.seg-name { font-weight: 600; }
.seg-succeeded { background: #dafbe1; color: var(--ok); }
.seg-running { background: #fff1c1; color: var(--warn); }
.seg-waiting { background: repeating-linear-gradient(135deg, #fff8d6, #fff8d6 6px, #ffefad 6px, #ffefad 12px);
  color: var(--warn); }
.seg-failed { background: #ffebe9; color: var(--bad); }
.seg-unproven { background: #fff; color: var(--warn); outline: 2px dashed var(--warn); outline-offset: -2px; }
.seg-waived { background: #fff; color: var(--muted); outline: 2px dotted var(--muted); outline-offset: -2px; }
.seg-skipped { background: #f0f1f3; color: var(--muted); }
.seg-not-run { background: transparent; color: var(--muted); outline: 1px dashed var(--line); outline-offset: -1px; }
.inflight { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 0.4rem 0.7rem;
  margin-bottom: 0.4rem; font-size: 0.85rem; }

/* Timeline */
.timeline { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 0.4rem 0.6rem; }
.timeline-svg { width: 100%; height: auto; display: block; }
.timeline .lane { stroke: var(--line); stroke-width: 2; }
.timeline .tick { stroke: #eef1f4; stroke-width: 1; }
.timeline .tick-label, .timeline .lane-label { font-size: 12px; fill: var(--muted); }
.timeline .expired-zone { fill: #ffebe9; }
.mark { stroke: #fff; stroke-width: 1.5; fill: var(--muted); }
.mark.s-ok { fill: var(--ok); } .mark.s-warn { fill: #d4a72c; } .mark.s-bad { fill: var(--bad); }
.mark.s-info { fill: var(--info); }
.legend { font-size: 0.75rem; margin: 0.2rem 0 0; display: flex; flex-wrap: wrap; gap: 0.8rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 0.4rem; margin-top: 0.5rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 0.3rem 0.6rem; }
.card .value { font-size: 1.3rem; font-weight: 600; }
.card .label { color: var(--muted); font-size: 0.75rem; }
.card.alert .value { color: var(--bad); }
.card.warn .value { color: var(--warn); }

/* History and rotations */
details.secret { background: #fff; border: 1px solid var(--line); border-radius: 6px; margin-bottom: 0.4rem; }
details.secret > summary { padding: 0.4rem 0.7rem; cursor: pointer; }
.rotation { border-top: 1px solid var(--line); padding: 0 0.7rem 0.4rem; }
.rotation > summary { padding: 0.35rem 0; cursor: pointer; font-size: 0.85rem; }
.outcome { margin: 0.2rem 0; font-size: 0.85rem; overflow-wrap: anywhere; }
.evidence { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 0.8rem; margin: 0; font-size: 0.8rem; }
.evidence dt { color: var(--muted); }
.evidence dd { margin: 0; } .evidence ul { margin: 0; padding-left: 1rem; }
.evidence li { overflow-wrap: anywhere; }
.raw summary { font-size: 0.8rem; color: var(--muted); cursor: pointer; margin-top: 0.3rem; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 0.8rem; font-size: 0.8rem; }
.steps { margin: 0.3rem 0; padding-left: 1.5rem; font-size: 0.8rem; }
.step .detail { color: var(--muted); overflow-wrap: anywhere; }

/* Credentials and notifications */
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 0.85rem; }
th, td { border-bottom: 1px solid var(--line); padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eef1f4; }
#notifications { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 0.4rem 0.4rem 0.4rem 2rem;
  font-size: 0.85rem; max-height: 24rem; overflow: auto; }
#notifications li { overflow-wrap: anywhere; }
#notifications li.empty { list-style: none; margin-left: -1.6rem; }

/* Confirmation */
dialog { border: 1px solid var(--line); border-radius: 8px; max-width: 34rem; width: calc(100% - 2rem); }
dialog h2 { margin-top: 0; }
dialog input { width: 100%; box-sizing: border-box; font: inherit; padding: 0.3rem; margin: 0.3rem 0 0.8rem; }
.enroll { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 0.3rem 0.8rem; align-items: end; }
.enroll label { display: flex; flex-direction: column; font-size: 0.8rem; color: var(--muted); }
.enroll input, .enroll select { font: inherit; padding: 0.3rem; min-width: 0; }
#enroll-history { font-size: 0.85rem; }
#enroll-section h3 { font-size: 0.95rem; margin: 1rem 0 0.3rem; }
.dialog-buttons { display: flex; justify-content: flex-end; gap: 0.4rem; }
@media (max-width: 700px) {
  main, #signin { padding: 0.3rem 0.6rem 1rem; }
  .seg { flex-basis: 5.5rem; min-width: 5.5rem; }
  th:nth-child(3), td:nth-child(3) { display: none; }
}
`;
