// The legal-review page: asks the JSON API of `ledger serve` (docs/API.md) on this origin and
// shows its answers. Everything from the ledger is written with textContent, never as HTML.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);

  // The words the page shows for a status (the status element holds exactly one of them).
  const STATUS_WORDS = {
    active: 'active',
    delisted: 'delisted',
    absent: 'not designated',
    unknown: 'not in the ledger',
  };

  // An element with attributes and children (strings become text nodes).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  // A refusal of the API ({"error": {"code", "message", ...}}), or a failure to reach it.
  class ApiError extends Error {
    constructor(status, code, message, body) {
      super(message);
      this.status = status;
      this.code = code;
      this.body = body;
    }
  }

  // GET path?params from this origin; the parsed JSON body, or an ApiError.
  async function api(path, params) {
    const url = new URL(path, window.location.origin);
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
    }
    const headers = { Accept: 'application/json' };
    const token = storedToken();
    if (token) headers.Authorization = 'Bearer ' + token;
    let response;
    try {
      response = await fetch(url, { headers });
    } catch (e) {
      throw new ApiError(0, 'unreachable', 'The ledger server did not answer (' + e.message + ').', null);
    }
    const text = await response.text();
    let body = null;
    try {
      body = JSON.parse(text);
    } catch (_) {
      body = null;
    }
    if (response.ok && body !== null) return body;
    if (body && body.error) {
      throw new ApiError(response.status, body.error.code || 'error', body.error.message || '', body);
    }
    const excerpt = text ? ': ' + text.slice(0, 300) : '';
    throw new ApiError(response.status, 'http', 'HTTP ' + response.status + ' ' + response.statusText + excerpt, null);
  }

  // ---- a token, for a server that asks one for questions (`serve --read-token`) ----

  function storedToken() {
    try {
      return window.sessionStorage.getItem('ledger-token') || '';
    } catch (_) {
      return '';
    }
  }

  let retry = null; // the question a missing token stopped, asked again once one is given

  function needToken(again) {
    retry = again;
    $('token-box').hidden = false;
    $('token').focus();
  }

  // ---- errors ----

  // Shows a refusal; one for a missing or unknown token also asks for a token.
  function refused(err, again) {
    showError(err);
    if (err.status === 401 || err.status === 403) needToken(again);
  }

  function showError(err) {
    const box = clear($('error'));
    box.append(el('strong', { text: 'The ledger could not answer. ' }));
    box.append(el('span', { text: err.message || String(err) }));
    const bits = [];
    if (err.status) bits.push('HTTP ' + err.status);
    if (err.code) bits.push(err.code);
    const e = (err.body && err.body.error) || {};
    if (e.key) bits.push('key ' + e.key);
    if (e.line) bits.push('line ' + e.line);
    if (e.field) bits.push('field ' + e.field);
    if (bits.length) box.append(el('span', { class: 'error-code', text: ' (' + bits.join(', ') + ')' }));
    box.hidden = false;
  }

  function hideError() {
    clear($('error')).hidden = true;
  }

  // ---- shared pieces of an answer ----

  function headNode(node, head) {
    clear(node);
    node.dataset.seq = String(head.seq);
    node.dataset.hash = head.hash;
    node.title = 'The ledger\'s last event when this was answered, recorded ' + head.recorded_at;
    node.append('seq ' + head.seq + ' · hash ', el('code', { class: 'hash', text: head.hash }));
  }

  // "2025-10-21 (the end of that day, UTC: 2025-10-21T23:59:59.999999Z)", or "now (…)".
  function pointText(asked, resolved) {
    if (!asked) return 'now (' + resolved + ')';
    if (/^\d{4}-\d{2}-\d{2}$/.test(asked)) return asked + ' (the end of that day, UTC: ' + resolved + ')';
    return asked + ' (' + resolved + ')';
  }

  function knowledgeWords(asOf) {
    return asOf ? 'as the ledger had recorded it by ' + asOf : 'as the ledger records it now';
  }

  function askedWords(asked) {
    return asked ? asked : 'now';
  }

  // A shell word: quoted unless plainly safe.
  function sh(word) {
    return /^[A-Za-z0-9_./:+-]+$/.test(word) ? word : "'" + word.replace(/'/g, "'\\''") + "'";
  }

  function verifySteps(list, command, what, head) {
    clear(list);
    list.append(
      el('li', {},
        el('code', { class: 'command', text: command }),
        el('span', { text: ' prints ' + what + ' (add ' }), el('code', { text: '--format json' }),
        el('span', { text: ' for the JSON this page shows).' })),
      el('li', {},
        el('code', { class: 'command', text: 'ledger log --from ' + head.seq + ' --limit 1' }),
        el('span', { text: ' shows event ' + head.seq + ' with the hash ' }),
        el('code', { class: 'hash', text: head.hash }),
        el('span', { text: ': the head this answer was computed from.' })),
      el('li', {},
        el('code', { class: 'command', text: 'ledger verify' }),
        el('span', { text: ' re-checks every hash and link of the chain up to the head, the lifecycle rules and the index the answer was read from.' })),
    );
    list.append(el('li', { class: 'muted' },
      'Run these with ', el('code', { text: '--ledger PATH' }), ' on the ledger (or on a copy restored from ',
      el('code', { text: 'ledger export' }), ' with ', el('code', { text: 'ledger import-bundle' }),
      '); the first two can also ask this server: ', el('code', { text: '--remote ' + window.location.origin }), '.'));
  }

  let ticket = 0; // the latest question; answers to earlier ones are dropped
  let diffTicket = 0; // the same for the diff

  function busy(section, on) {
    section.setAttribute('aria-busy', on ? 'true' : 'false');
    section.dataset.state = on ? 'loading' : 'ready';
  }

  function setHash(params) {
    const h = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v) h.set(k, v);
    const s = h.toString();
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, '', s ? '#' + s : window.location.pathname);
    }
  }

  // ---- searching ----

  function parseKey(q) {
    const i = q.indexOf('/');
    const authority = q.slice(0, i).trim();
    const id = q.slice(i + 1).trim();
    if (!authority || !id || id.includes('/')) return null;
    return { authority, id, key: authority.toUpperCase() + '/' + id };
  }

  async function ask() {
    hideError();
    const q = $('q').value.trim();
    const at = $('at').value.trim();
    const asOf = $('as-of').value.trim();
    if (!q) {
      showError(new ApiError(0, null, 'Type a name, or a key such as UK/GIM0047.', null));
      $('q').focus();
      return;
    }
    if (q.includes('/')) {
      const key = parseKey(q);
      if (!key) {
        showError(new ApiError(0, null, 'A key is AUTHORITY/ID, for example UK/GIM0047.', null));
        $('q').focus();
        return;
      }
      $('results').hidden = true;
      await showDesignation(key, at, asOf);
    } else {
      await search(q, at, asOf);
    }
  }

  async function search(q, at, asOf) {
    const mine = ++ticket;
    const section = $('results');
    $('answer').hidden = true;
    busy(section, true);
    let answer;
    try {
      answer = await api('/v1/search', { q, at, as_of: asOf });
    } catch (err) {
      if (mine !== ticket) return;
      if (err.status === 404 && err.body && err.body.answer) {
        answer = err.body.answer;
      } else {
        section.hidden = true;
        busy(section, false);
        refused(err, () => search(q, at, asOf));
        return;
      }
    }
    if (mine !== ticket) return;
    renderMatches(answer, at, asOf);
    setHash({ q, at, as_of: asOf });
    busy(section, false);
  }

  function renderMatches(answer, at, asOf) {
    const list = clear($('results-list'));
    const matches = answer.matches || [];
    const where = ' in force at ' + askedWords(at) + ', as recorded by ' + askedWords(asOf);
    $('results-summary').textContent = matches.length === 0
      ? 'No name matches “' + answer.query + '”.'
      : matches.length + (matches.length === 1 ? ' name matches' : ' names match') + ' “' + answer.query +
        '”; status' + where + '. Choose one to see its record and history.';
    for (const m of matches) {
      const button = el('button', { type: 'button', class: 'pick', 'data-testid': 'result-pick', 'data-key': m.key },
        el('span', { class: 'match-name', text: m.name }),
        el('span', { class: 'match-meta', text: m.key + ' · ' + m.regime + ' · ' + m.name_type }),
        el('span', { class: 'badge status-' + m.status, text: STATUS_WORDS[m.status] || m.status }));
      button.addEventListener('click', () => {
        const key = parseKey(m.key);
        $('q').value = m.key;
        showDesignation(key, $('at').value.trim(), $('as-of').value.trim(), true);
      });
      list.append(el('li', { 'data-testid': 'result', 'data-key': m.key }, button));
    }
    headNode($('results-head'), answer.head);
    $('results').hidden = false;
  }

  // ---- one designation ----

  async function showDesignation(key, at, asOf, focus) {
    const mine = ++ticket;
    const section = $('answer');
    hideError();
    busy(section, true);
    const path = '/v1/designations/' + encodeURIComponent(key.authority) + '/' + encodeURIComponent(key.id);
    const [shown, history] = await Promise.all([
      api(path, { at, as_of: asOf }).catch((err) => err),
      api(path + '/history', { as_of: asOf }).catch((err) => err),
    ]);
    if (mine !== ticket) return;
    let show = shown;
    if (show instanceof ApiError) {
      if (show.status === 404 && show.body && show.body.answer) {
        show = show.body.answer;
      } else {
        section.hidden = true;
        busy(section, false);
        refused(show, () => showDesignation(key, at, asOf, focus));
        return;
      }
    }
    let hist = history;
    if (hist instanceof ApiError) {
      hist = hist.status === 404 && hist.body && hist.body.answer ? hist.body.answer : { error: hist };
    }
    renderDesignation(show, hist, at, asOf);
    received(section);
    section.dataset.key = show.key;
    section.dataset.at = at;
    section.dataset.asOf = asOf;
    setHash({ key: show.key, at, as_of: asOf });
    section.hidden = false;
    busy(section, false);
    if (focus) section.focus();
  }

  function statusDetail(show) {
    switch (show.status) {
      case 'active':
        return 'Designated, in force since ' + show.designated + '.';
      case 'delisted':
        return 'Delisted on ' + show.delisted + (show.designated ? ' (designated ' + show.designated + ').' : '.');
      case 'absent':
        return 'The ledger holds this key, but it was not in force at this point, or not yet recorded as of then.';
      case 'unknown':
        return 'The ledger holds no event of this key at all.';
      default:
        return '';
    }
  }

  function renderDesignation(show, hist, at, asOf) {
    $('answer-key').textContent = show.key;
    $('answer-question').textContent = 'Was ' + show.key + ' in force ' + (at ? 'at ' + at : 'now') + ', ' +
      knowledgeWords(asOf) + '?';
    const status = $('status');
    status.textContent = STATUS_WORDS[show.status] || show.status;
    status.className = 'status status-' + show.status;
    status.dataset.status = show.status;
    $('status-detail').textContent = statusDetail(show);
    $('answer-at').textContent = pointText(at, show.at);
    $('answer-as-of').textContent = pointText(asOf, show.as_of);
    headNode($('answer-head'), show.head);
    renderRecord(show);
    renderHistory(show, hist);
    const command = 'ledger show ' + sh(show.key) + ' --at ' + sh(at || show.at) + ' --as-of ' + sh(asOf || show.as_of);
    verifySteps($('verify-steps'), command, 'this answer', show.head);
  }

  const MEASURES = {
    asset_freeze: 'asset freeze',
    travel_ban: 'travel ban',
    arms_embargo: 'arms embargo',
    targeted_arms_embargo: 'targeted arms embargo',
    trust_services: 'trust services',
    director_disqualification: 'director disqualification',
    shipping: 'shipping',
    charter_ban: 'charter ban',
    financial: 'financial',
    trade: 'trade',
  };

  function joined(parts) {
    return parts.filter((p) => p !== undefined && p !== null && p !== '').join(', ');
  }

  function field(dl, name, values) {
    const list = (Array.isArray(values) ? values : [values]).filter((v) => v !== undefined && v !== null && v !== '');
    if (list.length === 0) return;
    dl.append(el('dt', { text: name }));
    for (const v of list) dl.append(el('dd', {}, v));
  }

  function renderRecord(show) {
    const dl = clear($('record'));
    const none = $('record-none');
    const r = show.record;
    if (!r) {
      none.textContent = show.status === 'unknown'
        ? 'No record: the ledger has never held this key.'
        : 'No record in force at this point. The history below shows what the ledger holds.';
      none.hidden = false;
      dl.hidden = true;
      return;
    }
    none.hidden = true;
    dl.hidden = false;
    const s = r.subject || {};
    field(dl, 'Names', (s.names || []).map((n) => {
      const notes = [n.type, n.quality ? n.quality + ' quality' : null, n.script].filter(Boolean).join(', ');
      return el('span', {}, el('span', { class: 'name', text: n.name }), ' ', el('span', { class: 'muted', text: '(' + notes + ')' }));
    }));
    field(dl, 'Kind', s.kind);
    field(dl, 'Authority', r.authority);
    field(dl, 'Regime', r.regime ? [r.regime.code, r.regime.name].filter(Boolean).join(' — ') : null);
    field(dl, 'Measures', (r.measures || []).map((m) => MEASURES[m] || m).join(', '));
    field(dl, 'Designated', show.designated);
    field(dl, 'Delisted', show.delisted);
    field(dl, 'Reason', r.reason);
    field(dl, 'Title', s.title);
    field(dl, 'Position', s.position);
    field(dl, 'Gender', s.gender);
    field(dl, 'Dates of birth', (s.dates_of_birth || []).map((d) =>
      (d.to ? d.date + ' to ' + d.to : d.date) + (d.approximate ? ' (approximate)' : '')));
    field(dl, 'Places of birth', (s.places_of_birth || []).map((p) => joined([p.town, p.region, p.country])));
    field(dl, 'Nationalities', (s.nationalities || []).join(', '));
    field(dl, 'Addresses', (s.addresses || []).map((a) =>
      joined([...(a.lines || []), a.town, a.region, a.postal_code, a.country])));
    field(dl, 'Identifiers', (s.identifiers || []).map((i) =>
      joined([i.kind.replace(/_/g, ' ') + ' ' + i.value, i.country, i.note])));
    if (r.source) {
      field(dl, 'Published', r.source.published);
      if (r.source.url) {
        const safe = /^https?:\/\//i.test(r.source.url);
        field(dl, 'Notice', safe ? el('a', { href: r.source.url, rel: 'noopener noreferrer', text: r.source.url })
          : r.source.url);
      }
      field(dl, 'Notice hash', r.source.document_hash ? el('code', { text: r.source.document_hash }) : null);
    }
    if (r.other && typeof r.other === 'object') {
      field(dl, 'Other', Object.entries(r.other).map(([k, v]) =>
        k.replace(/_/g, ' ') + ': ' + (typeof v === 'string' ? v : JSON.stringify(v))));
    }
    field(dl, 'Events', (show.events || []).length ? (show.events || []).map((n) => '#' + n).join(', ') : null);
  }

  const EVENT_WORDS = {
    designation: 'designated',
    amendment: 'amended',
    delisting: 'delisted',
    relisting: 'relisted',
    retraction: 'retraction',
  };

  function renderHistory(show, hist) {
    const body = clear($('history-rows'));
    const note = $('history-note');
    note.hidden = true;
    if (hist.error) {
      note.textContent = 'The history could not be read: ' + hist.error.message;
      note.hidden = false;
      return;
    }
    const counted = new Set(show.events || []);
    const events = hist.events || [];
    const notes = [];
    if (events.length === 0) notes.push('No event of this key was recorded by ' + hist.as_of + '.');
    if (hist.head && hist.head.seq !== show.head.seq) {
      notes.push('The history was computed from a later head, seq ' + hist.head.seq + ' (' + hist.head.hash + ').');
    }
    if (notes.length) {
      note.textContent = notes.join(' ');
      note.hidden = false;
    }
    for (const row of events) {
      const marks = [];
      if (row.retracts !== undefined && row.retracts !== null) marks.push(el('span', { class: 'mark retraction', text: 'withdraws #' + row.retracts }));
      if (row.retracted_by !== undefined && row.retracted_by !== null) marks.push(el('span', { class: 'mark retracted', text: 'withdrawn by #' + row.retracted_by }));
      if (row.effective && row.effective > show.at.slice(0, row.effective.length)) {
        marks.push(el('span', { class: 'mark later', text: 'takes effect after the point asked' }));
      }
      if (row.backdated) marks.push(el('span', { class: 'mark backdated', title: 'Recorded after an event of this key that it precedes in legal effect: it changed the past as the ledger had known it.', text: 'backdated' }));
      const reason = row.event && typeof row.event.reason === 'string' ? row.event.reason : null;
      if (reason) marks.push(el('span', { class: 'reason', text: reason }));
      const classes = ['event-' + row.type];
      if (row.retracted_by !== undefined && row.retracted_by !== null) classes.push('is-retracted');
      if (row.backdated) classes.push('is-backdated');
      if (counted.has(row.seq)) classes.push('is-counted');
      body.append(el('tr', { class: classes.join(' '), 'data-seq': row.seq },
        el('td', { class: 'num' }, counted.has(row.seq) ? el('span', { class: 'counted', title: 'Makes up the answer above', text: '● ' }) : null, '#' + row.seq),
        el('td', { text: EVENT_WORDS[row.type] || row.type }),
        el('td', { text: row.effective || '—' }),
        el('td', {}, el('time', { datetime: row.recorded_at, text: row.recorded_at })),
        el('td', { text: row.actor }),
        el('td', { class: 'marks' }, marks)));
    }
  }

  // ---- the diff ----

  async function diff() {
    hideError();
    const from = $('diff-from').value.trim();
    const to = $('diff-to').value.trim();
    const asOf = $('diff-as-of').value.trim();
    if (!from || !to) {
      showError(new ApiError(0, null, 'A comparison needs both dates, "from" and "to".', null));
      (from ? $('diff-to') : $('diff-from')).focus();
      return;
    }
    const section = $('diff');
    const mine = ++diffTicket;
    busy(section, true);
    let answer;
    try {
      answer = await api('/v1/diff', { from, to, as_of: asOf });
    } catch (err) {
      if (mine !== diffTicket) return;
      section.hidden = true;
      busy(section, false);
      refused(err, diff);
      return;
    }
    if (mine !== diffTicket) return;
    renderDiff(answer, from, to, asOf);
    received(section);
    section.hidden = false;
    busy(section, false);
    section.focus();
  }

  function fieldChange(c) {
    const show = (v) => (v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));
    return el('li', {}, el('code', { text: c.field }), ': ', el('del', { text: show(c.old) }), ' → ', el('ins', { text: show(c.new) }));
  }

  function renderDiff(d, from, to, asOf) {
    $('diff-question').textContent = 'What was designated, delisted or amended between ' + from + ' and ' + to +
      ', ' + knowledgeWords(asOf) + '?';
    $('diff-answer-from').textContent = pointText(from, d.from);
    $('diff-answer-to').textContent = pointText(to, d.to);
    $('diff-answer-as-of').textContent = pointText(asOf, d.as_of);
    headNode($('diff-head'), d.head);
    const body = clear($('diff-body'));
    const groups = [
      ['designated', 'Designated', 'in force at “to”, not at “from”'],
      ['delisted', 'Delisted', 'in force at “from”, not at “to”'],
      ['amended', 'Amended', 'in force at both, with a different record'],
    ];
    for (const [k, title, means] of groups) {
      const items = d[k] || [];
      const section = el('section', { class: 'diff-group', 'data-group': k },
        el('h3', {}, title + ' (' + items.length + ')', el('span', { class: 'muted', text: ' · ' + means })));
      if (items.length === 0) {
        section.append(el('p', { class: 'muted', text: 'None.' }));
      } else {
        const list = el('ul', { class: 'diff-list' });
        for (const c of items) {
          const open = el('button', { type: 'button', class: 'link', text: c.key, 'aria-label': 'Open ' + c.key + ' at ' + to });
          open.addEventListener('click', () => {
            $('q').value = c.key;
            $('at').value = to;
            $('as-of').value = asOf;
            showDesignation(parseKey(c.key), to, asOf, true);
          });
          const li = el('li', {}, open, ' ', el('span', { class: 'name', text: c.name }),
            el('span', { class: 'muted', text: ' · ' + c.regime + ' · effective ' + c.effective }));
          if (c.changes && c.changes.length) li.append(el('ul', { class: 'changes' }, c.changes.map(fieldChange)));
          list.append(li);
        }
        section.append(list);
      }
      body.append(section);
    }
    const command = 'ledger diff --from ' + sh(from) + ' --to ' + sh(to) + ' --as-of ' + sh(asOf || d.as_of);
    verifySteps($('diff-verify-steps'), command, 'these changes', d.head);
  }

  // ---- printing one answer ----

  // The print header of an answer: when this browser received it.
  function received(section) {
    for (const n of section.querySelectorAll('.received')) n.textContent = new Date().toISOString();
  }

  function printAnswer(which) {
    document.body.dataset.print = which;
    window.print();
  }

  window.addEventListener('afterprint', () => {
    delete document.body.dataset.print;
  });
  for (const n of document.querySelectorAll('.origin')) n.textContent = window.location.origin;

  // ---- wiring ----

  $('ask-form').addEventListener('submit', (e) => {
    e.preventDefault();
    ask();
  });
  $('diff-form').addEventListener('submit', (e) => {
    e.preventDefault();
    diff();
  });
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('token').value.trim();
    if (!token) return;
    try {
      window.sessionStorage.setItem('ledger-token', token);
    } catch (_) {
      // Storage refused (a private window): the token is lost with the page, nothing else.
    }
    $('token').value = '';
    $('token-box').hidden = true;
    hideError();
    const again = retry;
    retry = null;
    if (again) again();
  });
  $('print-answer').addEventListener('click', () => printAnswer('answer'));
  $('print-diff').addEventListener('click', () => printAnswer('diff'));

  // A link to a question (#key=UK/GIM0047&at=2025-10-23, or #q=NAME) asks it on opening.
  const start = new URLSearchParams(window.location.hash.slice(1));
  const startQ = start.get('key') || start.get('q');
  if (startQ) {
    $('q').value = startQ;
    $('at').value = start.get('at') || '';
    $('as-of').value = start.get('as_of') || '';
    ask();
  }
})();
