// The operators' dashboard: polls GET /v1/ops/overview every 2 s with the admin token and renders it.
// Every value from the API is dirty data (account ids and failure reasons come from the source
// system): it only ever reaches the page as textContent or an attribute set through the DOM, never
// as markup. The page's CSP forbids inline script as a second line of defence.
'use strict';

(() => {
  const POLL_MS = 2000;
  const TOKEN_KEY = 'migrator.adminToken';
  const STATUSES = ['not_started', 'not_needed', 'migrating', 'channels_only', 'recent_messages_only',
    'completed', 'paused', 'failed'];
  const RUNNING = new Set(['migrating', 'channels_only', 'recent_messages_only']);
  const SVG = 'http://www.w3.org/2000/svg';

  const $ = (id) => document.getElementById(id);
  let timer = null;
  let inFlight = false;
  const retrying = new Set();
  let shownAccount = null;

  // --- token: this tab's session storage only; never a cookie, never in a URL -----------------
  const token = () => sessionStorage.getItem(TOKEN_KEY);

  function signIn(value) {
    sessionStorage.setItem(TOKEN_KEY, value);
    $('login').hidden = true;
    $('board').hidden = false;
    $('session').hidden = false;
    poll();
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    clearTimeout(timer);
    timer = null;
    $('board').hidden = true;
    $('session').hidden = true;
    $('login').hidden = false;
    $('token').value = '';
    showError(message || '');
  }

  function showError(message) {
    $('error').textContent = message;
    $('error').hidden = !message;
  }

  /** The operators' API with the token; a refused token sends the operator back to the sign-in. */
  async function api(method, path) {
    const response = await fetch(path, {
      method,
      headers: {Authorization: 'Bearer ' + token(), Accept: 'application/json'},
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
    });
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (response.status === 401) {
      signOut('The token was refused (401): enter the current admin token.');
      throw new Error('unauthorized');
    }
    if (response.status === 429) {
      const after = response.headers.get('Retry-After') || '1';
      throw new Error('rate limited by the service; retrying after ' + after + ' s');
    }
    if (response.status >= 400) {
      throw new Error(method + ' ' + path + ': ' + response.status + ' ' + (body && body.message ? body.message : ''));
    }
    return {status: response.status, body};
  }

  // --- polling ---------------------------------------------------------------------------------
  async function poll() {
    clearTimeout(timer);
    if (!token() || inFlight) return;
    inFlight = true;
    try {
      const {body} = await api('GET', '/v1/ops/overview');
      render(body);
      showError('');
    } catch (e) {
      if (e.message !== 'unauthorized') showError('Overview unavailable: ' + e.message);
    } finally {
      inFlight = false;
      if (token()) timer = setTimeout(poll, POLL_MS);
    }
  }

  function render(o) {
    renderStatuses(o.migrations || {});
    renderThroughput(o.throughput || {});
    badge($('breaker-conversations'), o.breakers && o.breakers.conversations);
    badge($('breaker-media'), o.breakers && o.breakers.media);
    badge($('dynamodb'), o.dynamodb);
    const inst = o.instances || {};
    $('instances').textContent = inst.live == null ? '–'
      : inst.live + (inst.jobsHeldHere == null ? ''
        : ' (this one holds ' + inst.jobsHeldHere + (inst.jobsHeldHere === 1 ? ' job)' : ' jobs)'));
    renderRunning(o.running || {items: [], total: 0});
    renderDeadLetters(o.deadLetters || {items: [], accounts: 0});
    $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
  }

  function renderStatuses(counts) {
    const tiles = STATUSES.map((s) => {
      const tile = el('div', 'tile');
      tile.dataset.status = s;
      if (RUNNING.has(s)) tile.classList.add('running');
      if (s === 'failed' && counts[s] > 0) tile.classList.add('bad');
      tile.append(el('span', 'label', s.replace(/_/g, ' ')), el('span', 'count', String(counts[s] || 0)));
      return tile;
    });
    $('statuses').replaceChildren(...tiles);
  }

  function renderThroughput(t) {
    $('rate').textContent = t.messagesPerSecond == null ? '–' : String(t.messagesPerSecond);
    $('rate-note').textContent = 'This instance, over the last ' + (t.windowSeconds || 0)
      + ' s; the bars are the last minute, one per second.';
    const series = t.messagesPerSecondLastMinute || [];
    const max = Math.max(1, ...series);
    const width = 240 / 60;
    const bars = series.map((v, i) => {
      const h = Math.max(v > 0 ? 1 : 0, (v / max) * 46);
      const r = document.createElementNS(SVG, 'rect');
      r.setAttribute('x', String((60 - series.length + i) * width));
      r.setAttribute('y', String(48 - h));
      r.setAttribute('width', String(width - 0.5));
      r.setAttribute('height', String(h));
      const title = document.createElementNS(SVG, 'title');
      title.textContent = v + ' messages';
      r.append(title);
      return r;
    });
    $('spark').replaceChildren(...bars);
  }

  function renderRunning(running) {
    const rows = running.items.map((a) => {
      const p = a.progress || {};
      const tr = document.createElement('tr');
      tr.dataset.accountId = a.accountId;
      const threads = td('');
      threads.append(text(fmt(p.threadsMigrated) + ' / ' + fmt(p.threadsTotal)));
      if (p.threadsTotal) {
        const bar = document.createElement('progress');
        bar.max = p.threadsTotal;
        bar.value = Math.min(p.threadsMigrated || 0, p.threadsTotal);
        threads.append(bar);
      }
      const job = a.job || {};
      tr.append(
        td(a.accountId, 'id'),
        td(a.migrationStatus.replace(/_/g, ' '), 'status'),
        td(p.phase ? p.phase.replace(/_/g, ' ') : '–', 'phase'),
        threads,
        td(fmt(p.messagesMigrated), 'num'),
        td(fmt(p.attachmentsMigrated), 'num'),
        td(fmt(p.deadLetters), 'num'),
        td(eta(p.etaSeconds), 'eta'),
        td(job.leaseOwner || (job.state ? job.state + ', no live lease' : 'no job'), 'owner'));
      return tr;
    });
    $('running').tBodies[0].replaceChildren(...rows);
    $('running-empty').hidden = rows.length > 0;
    $('running-count').textContent = countNote(running.total, rows.length);
  }

  function renderDeadLetters(letters) {
    const rows = letters.items.map((a) => {
      const tr = document.createElement('tr');
      tr.dataset.accountId = a.accountId;
      const actions = td('');
      const show = button('Show', 'show', () => showLetters(a.accountId));
      const retry = button(retrying.has(a.accountId) ? 'Retrying…' : 'Retry', 'retry', () => retryLetters(a.accountId));
      retry.disabled = retrying.has(a.accountId);
      actions.append(show, retry);
      tr.append(td(a.accountId, 'id'), td(a.migrationStatus.replace(/_/g, ' '), 'status'),
        td(fmt(a.open), 'open num'), td(when(a.lastFailedAt)), actions);
      return tr;
    });
    $('dead-letters').tBodies[0].replaceChildren(...rows);
    $('dead-empty').hidden = rows.length > 0;
    $('dead-count').textContent = countNote(letters.accounts, rows.length);
    if (shownAccount && !letters.items.some((a) => a.accountId === shownAccount)) {
      shownAccount = null;
      $('letters').hidden = true;
    }
  }

  // --- dead letters: the ordinary operator routes ----------------------------------------------
  async function showLetters(accountId) {
    try {
      const {body} = await api('GET', '/v1/accounts/' + encodeURIComponent(accountId) + '/dead-letters?limit=50');
      shownAccount = accountId;
      $('letters-account').textContent = accountId;
      const rows = body.items.map((d) => {
        const tr = document.createElement('tr');
        tr.append(td(d.kind), td(JSON.stringify(d.sourceKey), 'key'), td(d.reason, 'reason'),
          td(fmt(d.attempts), 'num'), td(when(d.lastFailedAt)));
        return tr;
      });
      $('letters-body').replaceChildren(...rows);
      $('letters-more').hidden = !body.nextCursor;
      $('letters').hidden = false;
    } catch (e) {
      if (e.message !== 'unauthorized') showError('Dead letters unavailable: ' + e.message);
    }
  }

  async function retryLetters(accountId) {
    retrying.add(accountId);
    poll();
    try {
      const {status, body} = await api('POST', '/v1/accounts/' + encodeURIComponent(accountId) + '/dead-letters/retry');
      $('retry-result').textContent = status === 202
        ? 'Retry of ' + accountId + ' accepted' + (body.queued == null ? ' (the run resumes)' : ': ' + body.queued + ' queued')
        : 'Retry of ' + accountId + ' not started: ' + body.reason;
    } catch (e) {
      if (e.message !== 'unauthorized') $('retry-result').textContent = 'Retry of ' + accountId + ' failed: ' + e.message;
    } finally {
      retrying.delete(accountId);
      poll();
    }
  }

  // --- small helpers: text only, never markup ---------------------------------------------------
  function el(tag, cls, content) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (content != null) e.textContent = content;
    return e;
  }

  function td(content, cls) {
    return el('td', cls, content);
  }

  function text(s) {
    return document.createTextNode(s);
  }

  function button(label, cls, onClick) {
    const b = el('button', cls, label);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }

  function badge(node, state) {
    const s = state || 'UNKNOWN';
    node.textContent = s;
    node.className = 'badge ' + ({CLOSED: 'ok', UP: 'ok', HALF_OPEN: 'warn'}[s] || 'bad');
  }

  function fmt(n) {
    return n == null ? '–' : Number(n).toLocaleString('en');
  }

  function when(iso) {
    return iso ? new Date(iso).toLocaleString() : '–';
  }

  function eta(seconds) {
    if (seconds == null) return '–';
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + String(s % 60).padStart(2, '0') + ' s';
    return Math.floor(s / 3600) + ' h ' + String(Math.floor((s % 3600) / 60)).padStart(2, '0') + ' min';
  }

  function countNote(total, shown) {
    return total > shown ? '(' + shown + ' of ' + total + ')' : '(' + total + ')';
  }

  // --- start -------------------------------------------------------------------------------------
  document.addEventListener('DOMContentLoaded', () => {
    $('token-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const value = $('token').value.trim();
      if (value) signIn(value);
    });
    $('sign-out').addEventListener('click', () => signOut(''));
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && token()) poll();
    });
    if (token()) signIn(token());
  });
})();
