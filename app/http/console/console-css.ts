/** The console's only style sheet, served from the installation at `/console/assets/console.css` (no CDN). */
export const CONSOLE_CSS = `
:root { --fg:#1b1b1b; --bg:#fff; --accent:#000091; --muted:#4d4d4d; --danger:#b60000; --line:#ccc; }
* { box-sizing: border-box; }
body { margin:0; font-family: system-ui, sans-serif; color:var(--fg); background:var(--bg); line-height:1.45; }
header { background:var(--accent); color:#fff; padding:.5rem 1rem; }
header a, header .brand { color:#fff; }
.brand { font-weight:700; margin:.25rem 0; }
nav { display:flex; flex-wrap:wrap; align-items:center; justify-content:space-between; gap:1rem; }
nav ul { list-style:none; display:flex; gap:1rem; margin:0; padding:0; }
nav a[aria-current="page"] { font-weight:700; text-decoration:underline; }
.logout span { margin-right:.5rem; }
main { padding:1rem; max-width:80rem; }
table { border-collapse:collapse; width:100%; margin:.5rem 0 1rem; }
caption { text-align:left; color:var(--muted); padding:.25rem 0; }
th, td { border:1px solid var(--line); padding:.3rem .5rem; text-align:left; vertical-align:top; }
a { color:var(--accent); }
button { font:inherit; padding:.35rem .8rem; border:1px solid var(--accent); background:var(--accent); color:#fff; border-radius:3px; cursor:pointer; }
button.danger { background:var(--danger); border-color:var(--danger); }
.kpi { display:grid; grid-template-columns:repeat(auto-fit, minmax(12rem, 1fr)); gap:.75rem; }
.kpi div { border:1px solid var(--line); padding:.5rem; }
.kpi dt { color:var(--muted); }
.kpi dd { margin:0; font-size:1.6rem; font-weight:700; }
.facts { display:grid; grid-template-columns:max-content 1fr; gap:.2rem 1rem; }
.facts dd { margin:0; }
.actions { display:flex; gap:.5rem; margin:.75rem 0; }
.actions form { display:inline; }
.timeline li.warn { color:#7a4d00; }
.timeline li.error { color:var(--danger); }
.notice { border-left:4px solid var(--accent); padding:.5rem; background:#eef; }
.error { border-left:4px solid var(--danger); padding:.5rem; background:#fee; }
.hint { color:var(--muted); }
.warning { color:#7a4d00; }
td .error, dd .error { border:0; padding:0; background:none; color:var(--danger); }
.filters { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; margin-bottom:1rem; }
.login { display:flex; flex-direction:column; gap:.5rem; max-width:24rem; }
input, select { font:inherit; padding:.3rem; }
pre { background:#f6f6f6; padding:.75rem; overflow:auto; }
`;
