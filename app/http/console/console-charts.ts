/**
 * The dashboard's chart script (served as `/console/assets/charts.js`, a file of the
 * installation: the CSP allows scripts from the console's own origin only, never inline). It
 * reads `/console/history.json` (the admin API's `/api/stats/history` through the session) and
 * draws two uPlot charts: messages delivered per minute for each flow, and the delivery latency
 * p50/p99. Without JavaScript the same figures are in the table beside the charts.
 */
export const CHARTS_JS = `(function () {
  'use strict';
  var flowBox = document.getElementById('chart-flow');
  var latBox = document.getElementById('chart-latency');
  if (!flowBox || !latBox || typeof uPlot !== 'function') return;
  var COLORS = ['#00008f', '#b35c00', '#1f7a3a', '#7a1f6b'];
  var LABELS = { 'legacy→mssante': 'LNP → MSSanté', 'mssante→legacy': 'MSSanté → LNP' };
  fetch('/console/history.json', { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (h) {
    var xs = h.p50.map(function (_, i) { return h.start + i * h.step; });
    var width = Math.max(320, Math.min(960, flowBox.clientWidth || 640));
    var names = Object.keys(h.flows);
    var flowSeries = [{ label: 'Heure' }].concat(names.map(function (n, i) {
      return { label: LABELS[n] || n, stroke: COLORS[i % COLORS.length], width: 2, value: function (u, v) { return v == null ? '—' : v + ' /min'; } };
    }));
    var fmt = new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Paris' });
    var axes = function (unit) {
      return [{ values: function (u, vals) { return vals.map(function (v) { return fmt.format(new Date(v * 1000)); }); } }, { label: unit }];
    };
    flowBox.textContent = '';
    new uPlot({ title: 'Messages remis par minute', width: width, height: 220, series: flowSeries, axes: axes('messages / min') },
      [xs].concat(names.map(function (n) { return h.flows[n]; })), flowBox);
    latBox.textContent = '';
    new uPlot({ title: 'Latence de remise (ms)', width: width, height: 220, axes: axes('ms'),
      series: [{ label: 'Heure' }, { label: 'p50', stroke: COLORS[0], width: 2, points: { show: true } }, { label: 'p99', stroke: COLORS[1], width: 2, points: { show: true } }] },
      [xs, h.p50, h.p99], latBox);
    flowBox.setAttribute('data-drawn', '1');
  }).catch(function () { /* the table stays */ });
})();
`;

/**
 * The upload form's progress (served as `/console/assets/upload.js`): the form is sent by
 * XMLHttpRequest, whose upload events drive a `<progress>` bar; the answer (the page with the
 * import's counts) then replaces the page. Without JavaScript the form posts as usual.
 */
export const UPLOAD_JS = `(function () {
  'use strict';
  var form = document.getElementById('upload-form');
  var bar = document.getElementById('upload-progress');
  var status = document.getElementById('upload-status');
  if (!form || !bar || !status || !window.FormData) return;
  var fmt = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    bar.hidden = false;
    bar.value = 0;
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) return;
      bar.max = e.total;
      bar.value = e.loaded;
      status.textContent = 'Envoi : ' + fmt.format(e.loaded / 1048576) + ' Mo sur ' + fmt.format(e.total / 1048576) + ' Mo';
    };
    xhr.upload.onload = function () { status.textContent = 'Fichier envoyé ; import en cours…'; };
    xhr.onload = function () {
      document.open();
      document.write(xhr.responseText);
      document.close();
    };
    xhr.onerror = function () { status.textContent = 'Échec de l\\'envoi : réessayez.'; };
    xhr.send(new FormData(form));
    form.querySelector('button[type=submit]').disabled = true;
  });
})();
`;
