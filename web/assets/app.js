// 掌上检察 — shared page helpers: the API client (CSRF, 401 handling, error
// bodies), safe DOM building, loading / empty / failure states, forms with
// field-level errors, dialogs, tabs, 长辈模式 and Chinese labels. No
// framework, no build.
'use strict';

var Z = (function () {
  var cfg = { loginPath: '/h5/login', csrfKey: '', timeout: 10000 };

  // 长辈模式 (larger type and controls, html.elder in app.css): a shell
  // opts in with <html data-elder-mode> and a [data-elder-toggle] button
  // in its header (aria-pressed). The choice is kept in localStorage and
  // applied as this script runs — the H5 shell loads it in <head>, so the
  // first paint is already in the chosen mode, with no flash.
  var elderKey = 'zsjc.elder';
  var root = document.documentElement;
  function elder(on) {
    if (on === undefined) return root.classList.contains('elder');
    root.classList.toggle('elder', !!on);
    try {
      if (on) localStorage.setItem(elderKey, '1'); else localStorage.removeItem(elderKey);
    } catch (e) { /* storage refused (private mode): the mode lasts for the page */ }
    document.querySelectorAll('[data-elder-toggle]').forEach(function (b) { b.setAttribute('aria-pressed', String(!!on)); });
    return !!on;
  }
  try {
    if (root.hasAttribute('data-elder-mode') && localStorage.getItem(elderKey) === '1') root.classList.add('elder');
  } catch (e) { /* no storage: the default mode */ }
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('[data-elder-toggle]').forEach(function (b) {
      b.setAttribute('aria-pressed', String(elder()));
      b.addEventListener('click', function () { elder(!elder()); });
    });
  });

  // ApiError carries the pinned error body {"error":{code,message,fields}}.
  function ApiError(status, body) {
    var e = (body && body.error) || {};
    this.status = status;
    this.code = e.code || 'http_' + status;
    this.message = e.message || (status ? '请求失败（' + status + '），请稍后重试' : '网络异常，请检查网络后重试');
    this.fields = e.fields || null;
  }
  ApiError.prototype = Object.create(Error.prototype);

  // Failures that are not the server's own error body.
  function clientError(code, message) { return new ApiError(0, { error: { code: code, message: message } }); }
  var timedOut = function () { return clientError('timeout', '服务器长时间没有响应，请检查网络后重试'); };
  var notJSON = function () { return clientError('bad_response', '服务器返回了无法识别的内容（可能是网络拦截页面），请稍后重试'); };
  var loginLoop = function () { return clientError('login_failed', '登录未能完成，请关闭本页后从公众号菜单重新进入'); };

  function init(options) {
    for (var k in options) cfg[k] = options[k];
  }

  function csrfToken() { return cfg.csrfKey ? localStorage.getItem(cfg.csrfKey) || '' : ''; }
  function setCSRF(token) {
    if (!cfg.csrfKey) return;
    if (token) localStorage.setItem(cfg.csrfKey, token); else localStorage.removeItem(cfg.csrfKey);
  }

  // A 401 right after a login sends the browser to the login page at most
  // once: the time of the last redirect is kept for the tab, and a second
  // 401 within loginRetryWindow shows an error instead of looping.
  var loginMark = 'zsjc.login.redirected';
  var loginRetryWindow = 60000;
  function recentlyRedirected() {
    var at = Number(sessionStorage.getItem(loginMark) || 0);
    return at && Date.now() - at < loginRetryWindow;
  }

  function toLogin() {
    sessionStorage.setItem(loginMark, String(Date.now()));
    location.assign(cfg.loginPath + '?next=' + encodeURIComponent(location.pathname + location.search));
  }

  function isJSON(res) { return /^application\/(problem\+)?json\b/i.test(res.headers.get('Content-Type') || ''); }

  // api sends a request and resolves to the decoded JSON body. body is sent
  // as JSON, or as-is when it is FormData (uploads). Every state-changing
  // request carries the CSRF token when the app has one. Every failure
  // rejects with an ApiError whose message can be shown as it is: no
  // answer within cfg.timeout, an answer that is not JSON (a captive
  // portal's page served with 200), the server's error body. A 401 sends
  // the browser to the login page once (unless opts.noRedirect).
  function api(method, path, body, opts) {
    opts = opts || {};
    var headers = { 'Accept': 'application/json' };
    var ctrl = typeof AbortController === 'function' ? new AbortController() : null;
    var init = { method: method, headers: headers, credentials: 'same-origin', signal: ctrl ? ctrl.signal : undefined };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (method !== 'GET' && csrfToken()) headers['X-CSRF-Token'] = csrfToken();
    var late = false;
    var timer = setTimeout(function () { late = true; if (ctrl) ctrl.abort(); }, opts.timeout || cfg.timeout);
    var request = fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var data = null, parsed = false;
        if (text && isJSON(res)) {
          try { data = JSON.parse(text); parsed = true; } catch (e) { data = null; }
        }
        if (res.ok) {
          if (res.status === 204 || (!text && method !== 'GET')) return null;
          if (!parsed || data === null || typeof data !== 'object') throw notJSON();
          // A request that needs the session worked: the login did stick.
          if (!opts.noRedirect) sessionStorage.removeItem(loginMark);
          return data;
        }
        var err = parsed ? new ApiError(res.status, data) : new ApiError(res.status, null);
        if (res.status === 401 && !opts.noRedirect) {
          if (recentlyRedirected()) throw loginLoop();
          toLogin();
          err.redirecting = true;
        }
        if (err.code === 'csrf_invalid' && !opts.noRedirect) {
          setCSRF('');
          toLogin();
          err.redirecting = true;
        }
        throw err;
      });
    });
    // A body that stalls after the headers counts against the same timer.
    return request.then(function (data) { clearTimeout(timer); return data; }, function (err) {
      clearTimeout(timer);
      if (err instanceof ApiError) throw err;
      throw late ? timedOut() : new ApiError(0, null);
    });
  }

  // h builds an element: h('a', {href: '/x', class: 'btn'}, 'text', child).
  // Text is always set as text, never parsed as HTML.
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) continue;
        if (k.slice(0, 2) === 'on' && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (k === 'class') el.className = v;
        else if (k === 'dataset') for (var d in v) el.dataset[d] = v[d];
        else if (v === true) el.setAttribute(k, '');
        else el.setAttribute(k, v);
      }
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { append(el, x); }); return; }
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  function mount(el) {
    clear(el);
    for (var i = 1; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  // States every list and page shows.
  function loading(text) { return h('div', { class: 'state loading', role: 'status' }, h('span', { class: 'spinner' }), text || '加载中…'); }
  function empty(text, action) { return h('div', { class: 'state empty' }, h('span', { class: 'icon', 'aria-hidden': 'true' }), h('p', null, text), action || null); }
  function failure(err, retry) {
    return h('div', { class: 'state error', role: 'alert' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '!'),
      h('p', null, (err && err.message) || '加载失败'),
      retry ? h('button', { class: 'secondary small', type: 'button', onclick: retry }, '重试') : null);
  }

  // load shows the loading state in el, runs fetcher (returning a promise),
  // and renders the result with render(data) — or the failure with a retry.
  // A render that throws (an answer of an unexpected shape) is a failure too,
  // never a page left loading.
  // Only the latest load of an element renders: an earlier, slower answer
  // (a filter changed meanwhile) is dropped.
  var loadSeq = 0;
  function load(el, fetcher, render) {
    var seq = String(++loadSeq);
    el.dataset.load = seq;
    mount(el, loading());
    return Promise.resolve().then(fetcher).then(function (data) {
      if (el.dataset.load === seq) mount(el, render(data));
    }).catch(function (err) {
      if (err.redirecting || el.dataset.load !== seq) return;
      if (!(err instanceof ApiError)) err = clientError('bad_response', '页面显示出错，请稍后重试');
      // A refusal (403) does not change on a retry: no 重试 for it.
      mount(el, failure(err, err.status === 403 ? null : function () { load(el, fetcher, render); }));
    });
  }

  function values(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === 'file' || el.type === 'submit') return;
      if ((el.type === 'radio' || el.type === 'checkbox') && !el.checked) return;
      out[el.name] = el.value.trim();
    });
    return out;
  }

  // describe adds (on) or removes the element id from the ids in
  // control's aria-describedby.
  function describe(control, id, on) {
    var ids = (control.getAttribute('aria-describedby') || '').split(' ').filter(function (x) { return x && x !== id; });
    if (on) ids.push(id);
    if (ids.length) control.setAttribute('aria-describedby', ids.join(' ')); else control.removeAttribute('aria-describedby');
  }
  var controls = 'input:not([type=hidden]), select, textarea';

  function clearErrors(form) {
    form.querySelectorAll('.field-error').forEach(function (n) {
      form.querySelectorAll('[aria-describedby~="' + n.id + '"]').forEach(function (c) { describe(c, n.id, false); });
    });
    form.querySelectorAll('[aria-invalid]').forEach(function (c) { c.removeAttribute('aria-invalid'); });
    form.querySelectorAll('.field-error, .form-error, .form-ok').forEach(function (n) { n.remove(); });
    form.querySelectorAll('.field.invalid').forEach(function (n) { n.classList.remove('invalid'); });
  }

  // showError renders an API error on a form: each entry of error.fields
  // under the input of that name (or the element with data-field=name),
  // anything else as one message at the top. A field's controls are marked
  // aria-invalid and described by its message, so a screen reader reads
  // the error with the field.
  var errorSeq = 0;
  function showError(form, err) {
    clearErrors(form);
    var rest = [];
    if (err.fields) {
      Object.keys(err.fields).forEach(function (name) {
        var target = form.querySelector('[name="' + CSS.escape(name) + '"], [data-field="' + CSS.escape(name) + '"]');
        var field = target && (target.closest('.field') || target.parentNode);
        if (!field) { rest.push(err.fields[name]); return; }
        field.classList.add('invalid');
        var msg = h('div', { class: 'field-error', id: 'err' + (++errorSeq), dataset: { for: name } }, err.fields[name]);
        field.appendChild(msg);
        var own = target.matches(controls) ? [target] : Array.prototype.slice.call(field.querySelectorAll(controls));
        own.forEach(function (c) { c.setAttribute('aria-invalid', 'true'); describe(c, msg.id, true); });
      });
    }
    if (!err.fields || rest.length) {
      form.insertBefore(h('div', { class: 'form-error', role: 'alert' }, rest.length ? rest.join('；') : err.message), form.firstChild);
    }
    var first = form.querySelector('[aria-invalid=true]');
    if (first) first.focus();
  }

  // onSubmit wires a form: submit(values) returns a promise; while it runs
  // the submit button is disabled; a rejection is shown on the form.
  function onSubmit(form, submit) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      clearErrors(form);
      var btn = form.querySelector('[type=submit]');
      if (btn) btn.disabled = true;
      Promise.resolve().then(function () { return submit(values(form)); }).catch(function (err) {
        if (!err.redirecting) showError(form, err instanceof ApiError ? err : { message: err.message || String(err) });
      }).then(function () { if (btn) btn.disabled = false; });
    });
    return form;
  }

  var fieldSeq = 0;
  // field labels input; an input without an id gets a unique one, so that
  // every field has an accessible name. The hint describes the input.
  function field(label, input, hint) {
    if (!input.id) input.id = 'f' + (++fieldSeq);
    var note = hint ? h('div', { class: 'hint', id: input.id + '-hint' }, hint) : null;
    if (note) describe(input, note.id, true);
    return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, note);
  }

  // tabs is a tab list switching the panels of one page (the WAI-ARIA tabs
  // pattern): items are [key, label, panel element]. The selected tab is
  // the only one in the Tab order; arrow keys, Home and End move between
  // tabs.
  function tabs(label, items, selected) {
    var list = h('div', { class: 'segmented', role: 'tablist', 'aria-label': label });
    var buttons = items.map(function (it) {
      var panel = it[2];
      if (!panel.id) panel.id = 'f' + (++fieldSeq);
      var tab = h('button', { type: 'button', role: 'tab', id: panel.id + '-tab', 'aria-controls': panel.id, dataset: { tab: it[0] },
        onclick: function () { select(it[0]); } }, it[1]);
      panel.setAttribute('role', 'tabpanel');
      panel.setAttribute('aria-labelledby', tab.id);
      list.appendChild(tab);
      return tab;
    });
    function select(key, focus) {
      items.forEach(function (it, i) {
        var on = it[0] === key;
        buttons[i].setAttribute('aria-selected', String(on));
        buttons[i].tabIndex = on ? 0 : -1;
        it[2].hidden = !on;
        if (on && focus) buttons[i].focus();
      });
    }
    list.addEventListener('keydown', function (ev) {
      var i = buttons.indexOf(document.activeElement);
      var to = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1, Home: 0, End: buttons.length - 1 }[ev.key];
      if (i < 0 || to === undefined) return;
      ev.preventDefault();
      select(items[(to + buttons.length) % buttons.length][0], true);
    });
    select(selected);
    return list;
  }

  // dialog opens a modal with content built by build(form, close); submit
  // is called with the form's values and closes the dialog when it resolves.
  // However it closes (button, Escape, submit) the dialog leaves the page,
  // so reopening never duplicates ids. opts.safe focuses 取消 instead of the
  // first field (confirmations: a stray Enter must not act); opts.danger
  // styles the action as destructive. The dialog is named by its title;
  // Tab stays inside it (also where there is no native <dialog>), and on
  // closing the focus goes back to what opened it.
  var dialogSeq = 0;
  function dialog(title, build, submit, submitLabel, opts) {
    opts = opts || {};
    var opener = document.activeElement;
    var titleId = 'dialog-title-' + (++dialogSeq);
    var dlg = h('dialog', { 'aria-labelledby': titleId, 'aria-modal': 'true' });
    var form = h('form', { method: 'dialog' });
    // Older in-app browsers (iOS before 15.4) have no <dialog>: show it as
    // a fixed panel over a backdrop instead.
    var native = typeof dlg.showModal === 'function';
    var backdrop = native ? null : h('div', { class: 'dialog-backdrop' });
    var closed = false;
    function close() {
      if (closed) return;
      closed = true;
      if (native && dlg.open) dlg.close();
      dlg.remove();
      if (backdrop) backdrop.remove();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
    }
    var cancel = h('button', { type: 'button', class: 'secondary', onclick: close }, '取消');
    mount(form, h('h2', { id: titleId }, title), build(form),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: opts.danger ? 'danger' : null }, submitLabel || '确定'), cancel));
    onSubmit(form, function (v) { return Promise.resolve(submit(v)).then(close); });
    dlg.appendChild(form);
    dlg.addEventListener('close', close);
    dlg.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape') { ev.preventDefault(); close(); return; }
      if (ev.key !== 'Tab') return;
      var stops = Array.prototype.filter.call(dlg.querySelectorAll('a[href], button, input, select, textarea, [tabindex]'), function (e) {
        return !e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0;
      });
      if (!stops.length) return;
      var edge = ev.shiftKey ? stops[0] : stops[stops.length - 1];
      if (document.activeElement === edge) {
        ev.preventDefault();
        (ev.shiftKey ? stops[stops.length - 1] : stops[0]).focus();
      }
    });
    if (native) {
      document.body.appendChild(dlg);
      dlg.showModal();
    } else {
      dlg.className = 'dialog-fallback';
      dlg.setAttribute('open', '');
      document.body.appendChild(backdrop);
      document.body.appendChild(dlg);
    }
    var first = opts.safe ? cancel : form.querySelector('input, textarea, select') || cancel;
    first.focus();
    return dlg;
  }

  // confirmDialog asks before an action; 取消 has the focus.
  function confirmDialog(title, text, action, label, opts) {
    var o = { safe: true };
    for (var k in opts || {}) o[k] = opts[k];
    return dialog(title, function () { return h('p', null, text); }, action, label, o);
  }

  // The vocabularies and labels come from the server (GET /api/vocab, one
  // Go source); route waits for them, so views read them synchronously.
  var vocab = {};
  var statusLabels = {}, roleLabels = {}, periodLabels = {}, copyMethods = [], meetingTypes = [];
  function fill(target, from) {
    if (Array.isArray(target)) { target.length = 0; Array.prototype.push.apply(target, from || []); return; }
    for (var k in from || {}) target[k] = from[k];
  }
  var vocabLoad = null;
  function loadVocab() {
    vocabLoad = vocabLoad || api('GET', '/api/vocab', undefined, { noRedirect: true }).then(function (v) {
      fill(vocab, v);
      fill(statusLabels, v.statuses); fill(roleLabels, v.user_roles); fill(periodLabels, v.periods);
      fill(copyMethods, v.copy_methods); fill(meetingTypes, v.meeting_types);
      return vocab;
    }, function (err) { vocabLoad = null; throw err; });
    return vocabLoad;
  }
  // label names code from the vocabulary table (e.g. 'push_kinds'); an
  // unknown code shows as itself.
  function label(table, code) { return ((vocab[table] || {})[code]) || code || ''; }

  // badge shows a status; x is a status string or an object carrying
  // status (and the API's status_label).
  function badge(x, label) {
    var status = typeof x === 'string' ? x : x.status;
    label = label || (typeof x === 'object' && x.status_label) || statusLabels[status] || status;
    return h('span', { class: 'badge ' + status }, label);
  }
  function options(values, selected) {
    return values.map(function (v) { return h('option', { value: v, selected: v === selected }, v); });
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function parse(v) { return v instanceof Date ? v : new Date(v); }
  function valid(d) { return d && !isNaN(d.getTime()); }
  // officeZone is the office's time zone (the console learns it from the
  // server): dates and times are shown in it, not in the browser's zone.
  var officeZone = '';
  function setOfficeZone(z) { officeZone = z || ''; }
  // officeParts is {year, month, day, hour, minute} of d in the office zone.
  function officeParts(d) {
    if (!officeZone) {
      return { year: d.getFullYear(), month: pad(d.getMonth() + 1), day: pad(d.getDate()), hour: pad(d.getHours()), minute: pad(d.getMinutes()) };
    }
    var out = {};
    new Intl.DateTimeFormat('en-CA', { timeZone: officeZone, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(d).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }
  function fmtDate(v) {
    // A date (YYYY-MM-DD) is a date in the office zone already: never shift it.
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return v;
    var d = parse(v);
    if (!valid(d)) return '';
    var p = officeParts(d);
    return p.year + '-' + p.month + '-' + p.day;
  }
  function fmtDateTime(v) {
    var d = parse(v);
    if (!valid(d)) return '';
    var p = officeParts(d);
    return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute;
  }
  // isoDay is YYYY-MM-DD of a local date.
  function isoDay(d) { return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()); }
  // rfc3339 turns a datetime-local value into RFC 3339 with the browser's offset.
  function rfc3339(local) {
    if (!local) return '';
    var d = new Date(local);
    if (!valid(d)) return '';
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? '+' : '-';
    off = Math.abs(off);
    return local.length === 16 ? local + ':00' + sign + pad(Math.floor(off / 60)) + ':' + pad(off % 60) : d.toISOString();
  }
  // daysLeft counts whole days from today to the date v (negative when past).
  function daysLeft(v) {
    var d = parse(v);
    if (!valid(d)) return null;
    var today = new Date(); today.setHours(0, 0, 0, 0);
    var day = new Date(d.getFullYear(), d.getMonth(), d.getDate());
    return Math.round((day - today) / 86400000);
  }
  var weekdays = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];

  function param(name) { return new URLSearchParams(location.search).get(name); }
  // match tests a route pattern like '/h5/cases/:id' against a path and
  // returns its parameters, or null.
  function match(pattern, path) {
    var p = pattern.split('/'), s = path.split('/');
    if (p.length !== s.length) return null;
    var out = {};
    for (var i = 0; i < p.length; i++) {
      if (p[i].charAt(0) === ':') {
        if (!/^\d+$/.test(s[i])) return null;
        out[p[i].slice(1)] = s[i];
      } else if (p[i] !== s[i]) return null;
    }
    return out;
  }

  // route renders the view of the current path once the vocabulary is
  // loaded; when it cannot be, the page shows the failure with 重试.
  var routed = false;
  function route(routes, fallback) {
    routed = true;
    var view = document.getElementById('view');
    function go() {
      return loadVocab().then(function () {
        for (var i = 0; i < routes.length; i++) {
          var m = match(routes[i][0], location.pathname);
          if (m) return routes[i][1](m);
        }
        return fallback();
      }, function (err) { mount(view, failure(err, go)); });
    }
    return go();
  }

  // A page whose script failed to load never routes: say so instead of
  // leaving the spinner (the shell's CSS shows a notice if even this
  // script is missing).
  window.addEventListener('load', function () {
    var view = document.getElementById('view');
    if (!routed && view && !view.dataset.noRoute) {
      mount(view, failure({ message: '页面未能完整加载，请检查网络后重试' }, function () { location.reload(); }));
    }
  });
  // unitOptions are <option>s of a depth-first unit list (GET
  // /api/public/units, /api/staff/units), each name indented by its depth
  // in the tree.
  function unitOptions(units) {
    var depth = {};
    return units.map(function (u) {
      depth[u.code] = u.parent_code && depth[u.parent_code] !== undefined ? depth[u.parent_code] + 1 : 0;
      return h('option', { value: u.code }, new Array(depth[u.code] + 1).join('\u3000') + u.name);
    });
  }

  // steps renders a complaint's trail (steps [{action, action_label, at,
  // note, unit}]) as a timeline, oldest first.
  function steps(list) {
    return h('ul', { class: 'timeline', id: 'complaint-steps' }, (list || []).map(function (st) {
      return h('li', { dataset: { action: st.action } }, h('div', { class: 'when' }, fmtDateTime(st.at)),
        h('strong', null, st.action_label || statusLabels[st.action] || st.action),
        st.unit ? h('span', { class: 'muted' }, ' · ' + st.unit.name) : null,
        st.note ? h('div', null, st.note) : null);
    }));
  }

  return {
    steps: steps,
    init: init, api: api, unitOptions: unitOptions, ApiError: ApiError, setCSRF: setCSRF, csrfToken: csrfToken, toLogin: toLogin,
    h: h, mount: mount, clear: clear, loading: loading, empty: empty, failure: failure, load: load,
    values: values, showError: showError, clearErrors: clearErrors, onSubmit: onSubmit, field: field, tabs: tabs,
    dialog: dialog, confirmDialog: confirmDialog, vocab: vocab, label: label, loadVocab: loadVocab, badge: badge, options: options, statusLabels: statusLabels,
    roleLabels: roleLabels, periodLabels: periodLabels, copyMethods: copyMethods, meetingTypes: meetingTypes,
    fmtDate: fmtDate, fmtDateTime: fmtDateTime, isoDay: isoDay, rfc3339: rfc3339, daysLeft: daysLeft,
    weekdays: weekdays, param: param, route: route, setOfficeZone: setOfficeZone, pad: pad
  };
})();
