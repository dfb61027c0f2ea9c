// 掌上检察 — the local WeChat sandbox (dev mode only). A simulated phone
// drives the server the way WeChat would: follow / menu / text messages are
// signed callbacks sent by the fake platform's callback client, H5 pages
// open through the fake OAuth page as the chosen test openid, and template
// messages the fake platform accepted appear in the chat.
'use strict';

(function () {
  var h = Z.h;
  var chat = document.getElementById('chat');
  var select = document.getElementById('openid');
  var webview = document.getElementById('webview');
  var frame = document.getElementById('frame');
  var seen = {}; // template msgids already shown, per openid

  function api(method, path, body) { return Z.api(method, '/sandbox/api' + path, body, { noRedirect: true }); }
  function openid() { return select.value; }
  function historyKey() { return 'zsjc.sandbox.chat.' + openid(); }
  function followKey() { return 'zsjc.sandbox.followed.' + openid(); }

  // The chat of each test user is kept in localStorage so that it survives
  // reloads; template messages are merged in from the platform.
  function history() {
    try { return JSON.parse(localStorage.getItem(historyKey()) || '[]'); } catch (e) { return []; }
  }
  function remember(entry) {
    var list = history();
    list.push(entry);
    localStorage.setItem(historyKey(), JSON.stringify(list.slice(-200)));
    render(entry);
  }

  function render(e) {
    var node;
    if (e.kind === 'template') node = templateCard(e);
    else node = h('div', { class: 'bubble ' + e.kind }, e.kind === 'them' ? linkify(e.text) : e.text);
    chat.appendChild(node);
    chat.scrollTop = chat.scrollHeight;
  }

  // linkify renders a reply's text: WeChat shows <a href="..">..</a> in
  // text replies as links; plain URLs become links too. Nothing else of the
  // text is treated as markup.
  function linkify(text) {
    var out = [], re = /<a\s+href=["']([^"']+)["'][^>]*>([\s\S]*?)<\/a>|(https?:\/\/[^\s<]+)/g, last = 0, m;
    while ((m = re.exec(text))) {
      out.push(text.slice(last, m.index));
      var url = m[1] || m[3], label = m[2] || m[3];
      out.push(h('a', { href: '#', onclick: openLink(url) }, label));
      last = re.lastIndex;
    }
    out.push(text.slice(last));
    return out;
  }
  function openLink(url) { return function (ev) { ev.preventDefault(); openPage(url); }; }

  // fieldOrder sorts template fields as WeChat shows them: thing1, phrase2, time3 …
  function fieldOrder(data) {
    var n = function (k) { return Number((k.match(/\d+$/) || [0])[0]); };
    return Object.keys(data || {}).sort(function (a, b) { return n(a) - n(b); });
  }

  // label is a template field's Chinese name where the template is known.
  function label(e, k) { return (e.labels && e.labels[k]) || k; }

  function templateCard(e) {
    var data = e.data || {};
    return h('div', { class: 'tmpl', dataset: { msgid: e.msgid } },
      h('div', { class: 'tmpl-title' }, e.title || ('服务通知' + (e.template_id ? ' · ' + e.template_id : ''))),
      fieldOrder(data).map(function (k) { return h('div', { class: 'tmpl-row' }, h('span', null, label(e, k)), h('span', null, data[k])); }),
      h('small', { class: 'muted' }, Z.fmtDateTime(e.at)),
      e.url ? h('a', { class: 'tmpl-link', href: '#', onclick: openLink(e.url) }, '详情 ›') : null);
  }

  // openPage shows a page in the phone's webview. Links of the public URL
  // are opened on this origin, so the sandbox works whatever
  // ZSJC_PUBLIC_URL says; H5 pages open logged in as the phone's user.
  function openPage(url) {
    var u = new URL(url, location.href);
    var local = u.pathname + u.search + u.hash;
    // Menu links go through the WeChat login page; the sandbox logs in itself.
    if (u.pathname === '/h5/login' && u.searchParams.get('next')) local = u.searchParams.get('next');
    document.getElementById('webview-url').textContent = local;
    frame.src = local.indexOf('/h5/') === 0 ? '/sandbox/open?next=' + encodeURIComponent(local) : local;
    webview.hidden = false;
  }
  document.getElementById('close-webview').addEventListener('click', function () {
    webview.hidden = true;
    frame.src = 'about:blank';
  });
  frame.addEventListener('load', function () {
    try { document.getElementById('webview-url').textContent = frame.contentWindow.location.pathname + frame.contentWindow.location.search; } catch (e) { /* cross-origin */ }
  });

  // send delivers one callback (event or text) and shows the passive reply.
  function send(body) {
    body.openid = openid();
    return api('POST', '/callback', body).then(function (res) {
      if (res && res.reply && res.reply.content) remember({ kind: 'them', text: res.reply.content });
      else if (res && res.reply && res.reply.msg_type) remember({ kind: 'system', text: '（收到 ' + res.reply.msg_type + ' 消息）' });
      return res;
    }, function (err) {
      remember({ kind: 'system', text: '发送失败：' + err.message });
      throw err;
    });
  }

  function setFollowed(on) {
    if (on) localStorage.setItem(followKey(), '1'); else localStorage.removeItem(followKey());
    document.getElementById('follow-bar').hidden = on;
    document.getElementById('phone-input').hidden = !on;
  }

  document.getElementById('follow').addEventListener('click', function () {
    remember({ kind: 'system', text: '你关注了「掌上检察」' });
    send({ type: 'event', event: 'subscribe' }).then(function () { setFollowed(true); }, function () {});
  });
  document.getElementById('unfollow').addEventListener('click', function () {
    send({ type: 'event', event: 'unsubscribe' }).then(function () {
      remember({ kind: 'system', text: '你取消关注了「掌上检察」' });
      setFollowed(false);
    }, function () {});
  });
  document.getElementById('reset-chat').addEventListener('click', function () {
    localStorage.removeItem(historyKey());
    Z.clear(chat);
  });

  // A parametric QR code of a case: following through it is a subscribe
  // with qrscene_<case no>, scanning it as a follower a SCAN event.
  document.getElementById('scan').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var scene = document.getElementById('scene').value.trim();
    if (!scene) return;
    var followed = !!localStorage.getItem(followKey());
    remember({ kind: 'system', text: '你扫描了案件二维码（' + scene + '）' });
    send(followed ? { type: 'event', event: 'SCAN', key: scene } : { type: 'event', event: 'subscribe', key: 'qrscene_' + scene })
      .then(function () { setFollowed(true); }, function () {});
  });

  document.getElementById('send').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var input = document.getElementById('text');
    var text = input.value.trim();
    if (!text) return;
    input.value = '';
    remember({ kind: 'me', text: text });
    send({ type: 'text', content: text }).catch(function () {});
  });

  // renderMenu draws the account's custom menu (WeChat's button JSON).
  function renderMenu(menu) {
    var nav = Z.clear(document.getElementById('menu'));
    var buttons = (menu && (menu.button || (menu.menu && menu.menu.button))) || [];
    if (!buttons.length) {
      nav.appendChild(h('div', { class: 'menu-empty' }, '（未配置自定义菜单）'));
      return;
    }
    buttons.forEach(function (b) {
      var item = h('div', { class: 'menu-item' });
      var sub = b.sub_button && (b.sub_button.list || b.sub_button);
      if (sub && sub.length) {
        var pop = h('div', { class: 'submenu', hidden: true }, sub.map(function (s) {
          return h('button', { type: 'button', onclick: function () { pop.hidden = true; tap(s); } }, s.name);
        }));
        item.appendChild(h('button', { type: 'button', class: 'menu-btn', onclick: function () {
          nav.querySelectorAll('.submenu').forEach(function (p) { if (p !== pop) p.hidden = true; });
          pop.hidden = !pop.hidden;
        } }, '≡ ' + b.name));
        item.appendChild(pop);
      } else {
        item.appendChild(h('button', { type: 'button', class: 'menu-btn', onclick: function () { tap(b); } }, b.name));
      }
      nav.appendChild(item);
    });
  }

  function tap(b) {
    if (b.type === 'view') {
      send({ type: 'event', event: 'VIEW', key: b.url }).catch(function () {});
      openPage(b.url);
    } else if (b.type === 'click') {
      remember({ kind: 'me', text: '［菜单］' + b.name });
      send({ type: 'event', event: 'CLICK', key: b.key }).catch(function () {});
    }
  }

  // pollTemplates shows template messages the platform accepted for the user.
  function pollTemplates() {
    var who = openid();
    return api('GET', '/messages?openid=' + encodeURIComponent(who)).then(function (res) {
      if (who !== openid()) return;
      var items = (res && res.items) || [];
      var mine = seen[who] = seen[who] || {};
      history().forEach(function (e) { if (e.kind === 'template') mine[e.msgid] = true; });
      items.forEach(function (m) {
        if (mine[m.msgid]) return;
        mine[m.msgid] = true;
        remember({ kind: 'template', msgid: m.msgid, template_id: m.template_id, title: m.title, labels: m.labels, data: m.data, url: m.url, at: m.at });
      });
      renderLog(items);
    }, function () {});
  }

  function renderLog(items) {
    var ul = Z.clear(document.getElementById('templates'));
    if (!items.length) { ul.appendChild(h('li', { class: 'muted' }, '暂无')); return; }
    items.slice().reverse().forEach(function (m) {
      ul.appendChild(h('li', null, h('div', { class: 'row-head' }, h('strong', null, 'msgid ' + m.msgid), h('small', null, Z.fmtDateTime(m.at))),
        h('div', { class: 'muted' }, fieldOrder(m.data).map(function (k) { return label(m, k) + '：' + m.data[k]; }).join('；')),
        m.url ? h('div', { class: 'muted' }, m.url) : null));
    });
  }

  // pollTexts shows the text messages the fake SMS API accepted (numbers
  // masked), newest first.
  function pollTexts() {
    return api('GET', '/sms').then(function (res) {
      var ul = Z.clear(document.getElementById('sms'));
      var items = (res && res.items) || [];
      if (!items.length) { ul.appendChild(h('li', { class: 'muted' }, '暂无')); return; }
      items.slice().reverse().forEach(function (m) {
        ul.appendChild(h('li', null, h('div', { class: 'row-head' }, h('strong', null, m.phone + ' · ' + Z.label('push_kinds', m.kind)), h('small', null, Z.fmtDateTime(m.at))),
          h('div', { class: 'muted' }, '【' + m.sign + '】' + m.params.join('；'))));
      });
    }, function () {});
  }

  // switchUser makes the chosen openid the one the fake OAuth page logs in
  // and drops the H5 session of the previous one.
  function switchUser() {
    localStorage.setItem('zsjc.sandbox.openid', openid());
    document.getElementById('who').textContent = openid();
    Z.clear(chat);
    history().forEach(render);
    setFollowed(!!localStorage.getItem(followKey()));
    webview.hidden = true;
    var who = openid();
    return api('POST', '/user', { openid: who }).then(function () {
      document.body.dataset.user = who; // the server now logs this user in
      return pollTemplates();
    });
  }
  select.addEventListener('change', switchUser);

  api('GET', '/state').then(function (s) {
    document.getElementById('account').textContent = s.account_name || '掌上检察';
    s.openids.forEach(function (o) { select.appendChild(h('option', { value: o.openid }, o.label + '（' + o.openid + '）')); });
    var saved = localStorage.getItem('zsjc.sandbox.openid');
    if (saved && s.openids.some(function (o) { return o.openid === saved; })) select.value = saved;
    if (s.demo) {
      document.getElementById('demo-case').textContent = s.demo.case_no;
      document.getElementById('scene').value = s.demo.case_no;
      document.getElementById('demo-party').textContent = '演示当事人：' + s.demo.party_name + '，身份证号 ' + s.demo.party_id_number + '（测试数据）';
    }
    renderMenu(s.menu);
    switchUser();
    setInterval(pollTemplates, 2000);
    if (s.sms) {
      document.getElementById('sms-card').hidden = false;
      Z.loadVocab().then(pollTexts, pollTexts);
      setInterval(pollTexts, 2000);
    }
  }, function (err) {
    Z.mount(chat, Z.failure(err, function () { location.reload(); }));
  });
})();
