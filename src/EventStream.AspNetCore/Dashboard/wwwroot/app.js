// EventStream dashboard: plain JavaScript, no build step, no CDN. Reads the server-sent events at ./events.
const MAX_ROWS = 500;            // rows kept (newest first); older ones drop off the table, never the counts
const WINDOW_S = 300, BUCKET_S = 5;
const COLORS = ['#3b6fd6', '#d6823b', '#2f9e61', '#b3427a', '#7a5fd6', '#9a9a2c', '#888'];

const $ = id => document.getElementById(id);
const rows = [];                 // {event, late, text, tr}, newest first
const queue = [];                // received since the last render (rendered in batches, 4 per second)
const buckets = new Map();       // second bucket -> {actions: Map, lagSum, lagN, delaySum, delayN}
const actions = new Set();
const violations = new Map();   // eventId -> the plan violations the server found in it
let violationCount = 0;
const byId = new Map();          // eventId -> its item in `rows`: an event sent again (a restarted server's replay) is not a new row
let lastEventId = null, source = null, paused = false, newWhilePaused = 0, received = 0, gaps = 0, status = null, selected = null;

function connect() {
  const url = 'events' + (lastEventId ? '?lastEventId=' + encodeURIComponent(lastEventId) : '');
  source = new EventSource(url);
  const onEvent = late => m => {
    if (m.lastEventId) lastEventId = m.lastEventId;
    let event; try { event = JSON.parse(m.data); } catch { return; }
    queue.push({ event, late, text: m.data.toLowerCase() });
  };
  source.onmessage = onEvent(false);
  source.addEventListener('late', onEvent(true));
  source.addEventListener('status', m => { status = JSON.parse(m.data); });
  source.addEventListener('violations', m => { const v = JSON.parse(m.data); if (!violations.has(v.eventId)) violationCount++; violations.set(v.eventId, v.violations); });
  source.addEventListener('reset', () => { gaps++; });           // the server no longer had what we missed: say so
  source.addEventListener('lagged', () => { source.close(); setTimeout(connect, 500); }); // resume from lastEventId
  source.onerror = () => { status = { ...(status || {}), state: 'Disconnected' }; };       // EventSource retries by itself
}

// Hidden tab: stop streaming; visible again: resume where it stopped (Last-Event-ID), with no gap and no duplicate.
document.addEventListener('visibilitychange', () => {
  if (document.hidden) { source?.close(); source = null; }
  else if (!source) { connect(); }
});

function ingest() {
  const now = Date.now();
  for (const item of queue) {
    const e = item.event;
    if (byId.has(e.eventId)) continue;
    byId.set(e.eventId, item);
    received++;
    const t = Date.parse(e.eventTime), r = Date.parse(e.receivedTime);
    const b = Math.floor(now / 1000 / BUCKET_S) * BUCKET_S;
    let bucket = buckets.get(b);
    if (!bucket) buckets.set(b, bucket = { actions: new Map(), lagSum: 0, lagN: 0, delaySum: 0, delayN: 0 });
    bucket.actions.set(e.eventAction, (bucket.actions.get(e.eventAction) || 0) + 1);
    if (!isNaN(t) && !isNaN(r)) { bucket.lagSum += (r - t) / 1000; bucket.lagN++; bucket.delaySum += (now - r) / 1000; bucket.delayN++; }
    if (!actions.has(e.eventAction)) { actions.add(e.eventAction); addAction(e.eventAction); }
    rows.unshift(item);
    if (paused) newWhilePaused++;
  }
  queue.length = 0;
  while (rows.length > MAX_ROWS) { const gone = rows.pop().event.eventId; byId.delete(gone); violations.delete(gone); }
  for (const b of buckets.keys()) if (b < now / 1000 - WINDOW_S - BUCKET_S) buckets.delete(b);
}

function addAction(action) {
  const select = $('action'), option = document.createElement('option');
  option.value = option.textContent = action;
  const after = [...select.options].slice(1).find(o => o.value > action);
  select.insertBefore(option, after || null);
}

function render() {
  ingest();
  renderStatus();
  renderCharts();
  if (!paused) renderTable();
  const p = $('paused');
  p.hidden = !paused;
  p.textContent = `paused — ${newWhilePaused} new`;
}

function renderStatus() {
  const s = status || { state: 'Idle' }, banner = $('banner');
  const state = String(s.state || 'Idle').toLowerCase();
  banner.className = 'banner ' + state;
  banner.dataset.state = state;
  banner.textContent = {
    live: 'live',
    catchingup: `catching up${s.remaining != null ? ` — ${s.remaining.toLocaleString()} events left` : ''}${s.behindSeconds != null ? `, ${fmt(s.behindSeconds)} behind` : ''}${eta(s)}`,
    retrying: `retrying${s.nextAttempt ? ' at ' + new Date(s.nextAttempt).toLocaleTimeString() : ''}: ${s.error || ''}`,
    faulted: `faulted: ${s.error || ''}`,
    stopped: 'stopped',
    disconnected: 'disconnected from the server — reconnecting',
  }[state] || state;
  banner.classList.toggle('stalled', !!s.stalledOn);
  if (s.stalledOn) banner.textContent += ` — stalled: delivery waiting on a slow ${s.stalledOn} since ${new Date(s.stalledSince).toLocaleTimeString()}`;
  $('c-events').textContent = (s.events ?? 0).toLocaleString();
  $('c-late').textContent = (s.lateEvents ?? 0).toLocaleString();
  $('c-duplicates').textContent = (s.duplicatesDropped ?? 0).toLocaleString();
  $('c-requests').textContent = (s.requests ?? 0).toLocaleString();
  $('c-rps').textContent = (s.requestsPerSecond ?? 0).toFixed(1);
  $('c-429').textContent = (s.rateLimited ?? 0).toLocaleString();
  $('c-received').textContent = received.toLocaleString();
  $('c-gaps').textContent = gaps;
  $('c-violations').textContent = violationCount;
}

// Time left while catching up, from the rate events arrived at over the last 30 seconds.
function eta(s) {
  if (s.remaining == null) return '';
  const now = Date.now() / 1000;
  let n = 0;
  for (const [b, bucket] of buckets) if (b >= now - 30) for (const c of bucket.actions.values()) n += c;
  return n > 0 ? `, about ${fmt(s.remaining / (n / 30))} to go` : '';
}

function fmt(seconds) { return seconds < 120 ? `${seconds.toFixed(0)} s` : seconds < 7200 ? `${(seconds / 60).toFixed(0)} min` : `${(seconds / 3600).toFixed(1)} h`; }

function renderCharts() {
  const now = Math.floor(Date.now() / 1000 / BUCKET_S) * BUCKET_S, n = WINDOW_S / BUCKET_S;
  const totals = new Map();
  for (const b of buckets.values()) for (const [a, c] of b.actions) totals.set(a, (totals.get(a) || 0) + c);
  const top = [...totals.entries()].sort((x, y) => y[1] - x[1]).slice(0, COLORS.length - 1).map(x => x[0]);
  const series = [...top, 'other'];
  const rate = $('rate').getContext('2d'), w = 640, h = 180, bw = w / n;
  rate.clearRect(0, 0, w, h);
  let max = 1;
  const stacks = [];
  for (let i = 0; i < n; i++) {
    const b = buckets.get(now - (n - 1 - i) * BUCKET_S), values = series.map(() => 0);
    if (b) for (const [a, c] of b.actions) values[top.includes(a) ? top.indexOf(a) : series.length - 1] += c / BUCKET_S;
    stacks.push(values);
    max = Math.max(max, values.reduce((x, y) => x + y, 0));
  }
  stacks.forEach((values, i) => {
    let y = h;
    values.forEach((v, k) => { const bh = v / max * (h - 14); rate.fillStyle = COLORS[k]; rate.fillRect(i * bw, y - bh, bw - 1, bh); y -= bh; });
  });
  rate.fillStyle = '#555'; rate.font = '11px system-ui'; rate.fillText(`${max.toFixed(1)}/s`, 4, 11);
  // Built with the DOM, not markup: the page's CSP allows no inline style attribute, but a style set from script is fine.
  $('legend').replaceChildren(...series.map((s, k) => { const span = document.createElement('span'); span.className = 'k'; span.textContent = s; span.style.setProperty('--c', COLORS[k]); return span; }));

  const lag = $('lag').getContext('2d');
  lag.clearRect(0, 0, w, h);
  const points = [...Array(n).keys()].map(i => buckets.get(now - (n - 1 - i) * BUCKET_S))
    .map(b => b && b.lagN ? [b.lagSum / b.lagN, b.delaySum / b.delayN] : null);
  const lmax = Math.max(1, ...points.filter(Boolean).flat());
  [['#3b6fd6', 0], ['#d6823b', 1]].forEach(([color, k]) => {
    lag.strokeStyle = color; lag.lineWidth = 2; lag.beginPath();
    let started = false;
    points.forEach((p, i) => { if (!p) { started = false; return; } const x = i * bw + bw / 2, y = h - p[k] / lmax * (h - 14); started ? lag.lineTo(x, y) : lag.moveTo(x, y); started = true; });
    lag.stroke();
    lag.fillStyle = color; // a dot per bucket, so a lone bucket shows too
    points.forEach((p, i) => { if (p) { lag.beginPath(); lag.arc(i * bw + bw / 2, h - p[k] / lmax * (h - 14), 2.5, 0, 2 * Math.PI); lag.fill(); } });
  });
  lag.fillStyle = '#555'; lag.font = '11px system-ui'; lag.fillText(`${lmax.toFixed(1)} s`, 4, 11);
}

// The table is updated in place, not rebuilt: each event's row is built once and kept, a render inserts the rows that
// arrived since the last one (one DOM insertion) and removes those that dropped off, so a row under the pointer stays
// the same element while events stream in. A change of filter, or a resume, redraws from the rows kept.
let drawn = [];                  // the items whose rows are in the table, newest first
let drawnFilter = null;

function matches(item, action, search) {
  return (!action || item.event.eventAction === action) && (!search || item.text.includes(search));
}

function rowOf(item) {
  if (item.tr) return item.tr;
  const e = item.event, tr = document.createElement('tr');
  tr.dataset.eventId = e.eventId;
  tr.innerHTML = `<td>${escape(new Date(e.eventTime).toISOString().slice(11, 23))}</td><td>${escape(e.eventAction)}</td><td>${escape(e.email || e.customerId || '')}</td>`
    + `<td class="${item.late ? 'late' : ''}">${item.late ? 'late' : ''}</td><td class="violation"></td>`;
  tr.onclick = () => showDetail(item);
  return item.tr = tr;
}

function showDetail(item) {
  const e = item.event;
  byId.get(selected)?.tr?.classList.remove('selected');
  selected = e.eventId;
  item.tr?.classList.add('selected');
  const v = violations.get(e.eventId);
  $('detail').innerHTML = (v ? `<ul class="violations">${v.map(x => `<li>${escape(x.message)}</li>`).join('')}</ul>` : '') + `<pre>${escape(JSON.stringify(e, null, 2))}</pre>`;
}

function renderTable() {
  const action = $('action').value, search = $('search').value.trim().toLowerCase(), filter = action + '\n' + search;
  const body = $('events').tBodies[0];
  const wanted = rows.filter(item => matches(item, action, search));
  if (filter !== drawnFilter) {
    body.replaceChildren(...wanted.map(rowOf));
  } else {
    // rows is newest first: what is new is the run before the newest row already drawn.
    const kept = new Set(wanted);
    for (const item of drawn) if (!kept.has(item)) item.tr.remove();
    const newest = drawn.find(item => kept.has(item));
    const fresh = newest ? wanted.slice(0, wanted.indexOf(newest)) : wanted;
    if (fresh.length > 0) {
      const fragment = document.createDocumentFragment();
      fragment.append(...fresh.map(rowOf));
      body.insertBefore(fragment, body.firstChild);
    }
  }
  for (const item of wanted) {
    const tr = item.tr, flagged = violations.has(item.event.eventId) ? '⚠ plan' : '';
    if (tr.lastChild.textContent !== flagged) tr.lastChild.textContent = flagged;
    tr.classList.toggle('selected', item.event.eventId === selected);
  }
  drawn = wanted;
  drawnFilter = filter;
}

function escape(text) { return String(text).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c])); }

$('pause').onclick = () => {
  paused = !paused;
  $('pause').textContent = paused ? 'resume' : 'pause';
  if (!paused) { newWhilePaused = 0; renderTable(); }
};
$('action').onchange = $('search').oninput = () => renderTable();

connect();
setInterval(render, 250);
