// 掌上检察 — H5 pages for lawyers and parties, opened inside WeChat. One
// shell (pages/h5.html) for every /h5/... path; the router below renders
// the view of the current path. Pages call only /api/h5 routes; a 401 sends
// the browser through WeChat login and back (Z.api).
'use strict';

(function () {
  var h = Z.h;
  Z.init({ loginPath: '/h5/login' });
  var view = document.getElementById('view');

  function page(title, tab, back) {
    document.title = title + ' · 掌上检察';
    document.getElementById('title').textContent = title;
    var b = document.getElementById('back');
    b.hidden = !back;
    if (back) b.setAttribute('href', back);
    document.querySelectorAll('#tabs a').forEach(function (a) { a.classList.toggle('active', a.dataset.tab === tab); });
  }

  function get(path) { return Z.api('GET', '/api/h5' + path); }
  function post(path, body) { return Z.api('POST', '/api/h5' + path, body); }
  function items(res) { return (res && res.items) || []; }

  // The API embeds related objects in its own way; these read either a flat
  // or a nested shape.
  function caseName(x) { return x.case_name || (x.case && x.case.name) || x.name || ''; }
  function caseNo(x) { return x.case_no || (x.case && x.case.case_no) || ''; }
  function caseTitle(x) { return caseName(x) || caseNo(x) || '案件 ' + x.case_id; }
  function profileOf(me) { return (me && (me.lawyer || me.lawyer_profile || me.profile)) || null; }

  // ---- 我的案件 / 案件公开 -------------------------------------------------
  // /h5/ shows the user's cases; ?tab=important and ?tab=documents show
  // what the office publishes to everyone (the menu's 案件公开), from the
  // public API, with no login needed.
  var publicTabs = [['', '我的案件'], ['important', '重要案件'], ['documents', '法律文书']];

  function casesView() {
    var tab = Z.param('tab') || '';
    page(publicTabs.filter(function (t) { return t[0] === tab; }).concat([publicTabs[0]])[0][1], 'cases');
    var box = h('div', { id: 'case-tab' });
    Z.mount(view, h('div', { class: 'segmented', role: 'tablist' }, publicTabs.map(function (t) {
      return h('button', { type: 'button', class: t[0] === tab ? 'active' : null, onclick: function () {
        location.assign('/h5/' + (t[0] ? '?tab=' + t[0] : ''));
      } }, t[1]);
    })), box);
    if (tab === 'important') importantCases(box);
    else if (tab === 'documents') publicDocuments(box);
    else myCases(box);
  }

  // unitPicker lets a visitor narrow the disclosure to a unit and the units
  // below it, picked from the tree (indented by depth); the choice stays in
  // the address (?unit=CODE) so that a link keeps it. A deployment with a
  // single unit shows no picker.
  function unitPicker(reload) {
    var sel = h('select', { id: 'unit-filter' }, h('option', { value: '' }, '全部单位'));
    var wrap = h('div', { class: 'field unit-filter', hidden: true }, h('label', { for: 'unit-filter' }, '办案单位'), sel);
    Z.api('GET', '/api/public/units').then(function (res) {
      var units = items(res);
      if (units.length < 2) return;
      Z.unitOptions(units).forEach(function (o) { sel.appendChild(o); });
      sel.value = Z.param('unit') || '';
      wrap.hidden = false;
    }, function () { /* without the tree the lists stay unfiltered */ });
    sel.addEventListener('change', function () {
      var u = new URL(location.href);
      if (sel.value) u.searchParams.set('unit', sel.value); else u.searchParams.delete('unit');
      history.replaceState(null, '', u.pathname + u.search);
      reload();
    });
    return wrap;
  }

  // publicList shows a disclosure list under the unit picker.
  function publicList(box, path, render) {
    var list = h('div', { id: 'public-list' });
    function reload() {
      var unit = Z.param('unit');
      Z.load(list, function () { return Z.api('GET', path + (unit ? '?unit=' + encodeURIComponent(unit) : '')); }, render);
    }
    Z.mount(box, unitPicker(reload), list);
    reload();
  }

  function importantCases(box) {
    publicList(box, '/api/public/cases', function (res) {
      var cases = items(res);
      if (!cases.length) return Z.empty('暂无公开的重要案件信息');
      return h('ul', { class: 'list', id: 'public-cases' }, cases.map(function (c) {
        return h('li', null, h('div', { class: 'row-head' }, h('strong', null, c.name), h('small', null, Z.fmtDate(c.updated_at))),
          h('div', { class: 'muted' }, [c.case_no, c.cause, c.unit && c.unit.name, c.department].filter(Boolean).join(' · ')),
          h('div', null, '阶段：', h('b', null, c.stage || '—'), c.result ? '，' + c.result : ''),
          c.summary ? h('p', null, c.summary) : null);
      }));
    });
  }

  function publicDocuments(box) {
    publicList(box, '/api/public/documents', function (res) {
      var docs = items(res);
      if (!docs.length) return Z.empty('暂无公开的法律文书');
      return documentList(docs, '/api/public/documents/', 'public-documents');
    });
  }

  function documentList(docs, base, id) {
    return h('ul', { class: 'list', id: id }, docs.map(function (d) {
      return h('li', null, h('a', { class: 'row', href: base + d.id + '/file', target: '_blank', rel: 'noopener' },
        h('div', { class: 'row-head' }, h('strong', null, d.title), h('small', null, Z.fmtDate(d.published_at))),
        h('div', { class: 'muted' }, [d.doc_no, d.type, d.unit && d.unit.name].filter(Boolean).join(' · '))));
    }));
  }

  function myCases(box) {
    Z.load(box, function () {
      return Promise.all([get('/cases'), get('/bindings')]);
    }, function (res) {
      var cases = items(res[0]);
      var open = items(res[1]).filter(function (b) { return b.status !== 'approved' && b.status !== 'revoked' && b.status !== 'cancelled'; });
      var out = [];
      if (!cases.length && !open.length) {
        return Z.empty('您还没有绑定案件。绑定后可查看案件进度和法律文书。', h('a', { class: 'btn', href: '/h5/bind' }, '绑定案件'));
      }
      if (cases.length) {
        out.push(h('ul', { class: 'list', id: 'cases' }, cases.map(function (c) {
          return h('li', null, h('a', { class: 'row', href: '/h5/cases/' + c.id },
            h('div', { class: 'row-head' }, h('strong', null, c.name), c.role ? h('span', { class: 'badge' }, Z.roleLabels[c.role] || c.role) : null),
            h('div', { class: 'muted' }, c.case_no),
            h('div', null, '当前阶段：', h('b', null, c.stage || '—'),
              c.closed ? h('small', { class: 'muted' }, '　已办结')
                : c.days_left !== null && c.days_left !== undefined ? h('small', { class: 'muted' }, c.days_left < 0 ? '　已超期' : '　距期限 ' + c.days_left + ' 天') : null)));
        })));
      } else {
        out.push(Z.empty('暂无已通过审核的案件。'));
      }
      if (open.length) {
        out.push(h('h2', null, '绑定申请'));
        out.push(h('ul', { class: 'list', id: 'binding-requests' }, open.map(function (b) {
          return h('li', null,
            h('div', { class: 'row-head' }, h('strong', null, caseTitle(b)), Z.badge(b)),
            h('div', { class: 'muted' }, (Z.roleLabels[b.role] || b.role) + ' · 提交于 ' + Z.fmtDateTime(b.created_at)),
            b.reason ? h('div', null, '原因：' + b.reason) : null,
            b.status === 'pending' ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary small', dataset: { withdraw: b.id }, onclick: function () { withdrawBinding(b); } }, '撤回申请')) : null);
        })));
      }
      return out;
    });
  }

  function withdrawBinding(b) {
    Z.confirmDialog('撤回绑定申请', '撤回后工作人员将不再审核这项申请，确定撤回吗？', function () {
      return Z.api('DELETE', '/api/h5/bindings/' + b.id).then(casesView);
    }, '撤回');
  }

  // ---- 案件详情 -----------------------------------------------------------
  function caseView(p) {
    page('案件详情', 'cases', '/h5/');
    Z.load(view, function () {
      return Promise.all([get('/cases/' + p.id), get('/cases/' + p.id + '/documents'), get('/bindings')]);
    }, function (res) {
      var c = res[0], docs = items(res[1]);
      var binding = items(res[2]).filter(function (b) { return String(b.case_id) === p.id && b.status === 'approved'; })[0];
      var role = c.role || (binding && binding.role);
      var events = c.timeline || c.events || [];
      var left = c.closed ? null : c.days_left;
      // Every procedural field (案件程序性信息) is shown, '—' when not set.
      var facts = [['案件类别', c.type], ['案由', c.cause], ['受理时间', Z.fmtDate(c.accepted_at)], ['办案期限', Z.fmtDate(c.deadline)],
        ['办案部门', c.department], ['承办检察官', c.prosecutor], ['办案进程', c.stage], ['强制措施', c.measure], ['处理结果', c.result]];
      return [
        h('section', { class: 'card', id: 'case-info' },
          h('h1', null, c.name),
          h('dl', { class: 'kv' },
            h('dt', null, '受案号'), h('dd', null, c.case_no),
            facts.map(function (f) { return [h('dt', null, f[0]), h('dd', { dataset: { fact: f[0] } }, f[1] || '—')]; }))),
        c.closed ? h('section', { class: 'card', id: 'case-closed' }, h('span', { class: 'days-left' }, '已办结'))
          : (left !== null && left !== undefined ? h('section', { class: 'card', id: 'days-left' },
            h('div', { class: 'muted' }, '距办案期限届满'),
            h('span', { class: 'days-left' + (left < 0 ? ' late' : '') }, left < 0 ? '已超期 ' + (-left) + ' 天' : left + ' 天')) : null),
        unitCard(c.unit),
        role === 'lawyer' ? h('section', { class: 'actions card' },
          h('a', { class: 'btn', href: '/h5/cases/' + p.id + '/review', id: 'book-review' }, '预约阅卷'),
          h('a', { class: 'btn secondary', href: '/h5/cases/' + p.id + '/meeting', id: 'request-meeting' }, '申请会见')) : null,
        h('section', { class: 'card' }, h('h2', null, '案件进程'),
          events.length ? h('ul', { class: 'timeline', id: 'timeline' }, events.map(function (e) {
            return h('li', null, h('div', null, h('b', null, e.stage), ' ', h('small', null, Z.fmtDateTime(e.occurred_at))),
              e.description ? h('div', null, e.description) : null);
          })) : Z.empty('暂无进程信息')),
        h('section', { class: 'card' }, h('h2', null, '法律文书'),
          docs.length ? documentList(docs, '/api/h5/documents/', 'documents') : Z.empty('暂无法律文书')),
        binding ? subscribeCard() : null,
        binding ? h('p', null, h('button', { class: 'danger small', type: 'button', id: 'unbind', onclick: function () { unbind(binding); } }, '解除绑定')) : null
      ];
    });
  }

  // ---- 订阅通知 -----------------------------------------------------------
  // subscribeCard offers the subscribe notices (订阅通知) on a bound case's
  // page: in WeChat the platform's own button (wx-open-subscribe, enabled
  // through wx.config's openTagList), in the local sandbox a button that has
  // the sandbox play WeChat's popup. Hidden when no push is sent as one.
  function subscribeCard() {
    var box = h('section', { class: 'card', id: 'subscribe', hidden: true },
      h('h2', null, '订阅通知'), h('p', { class: 'muted' }, '订阅后，案件有新进展时以服务通知提醒您。'));
    function done() { Z.mount(box, h('h2', null, '订阅通知'), h('p', { id: 'subscribed' }, '已订阅：案件有新进展时将以服务通知提醒您。')); }
    get('/subscribe-offer').then(function (offer) {
      var ids = (offer && offer.template_ids) || [];
      if (!ids.length) return;
      if (/MicroMessenger/i.test(navigator.userAgent)) {
        openSubscribeTag(box, ids, done);
      } else if (offer.sandbox) {
        box.appendChild(h('button', { type: 'button', class: 'secondary', id: 'subscribe-sandbox', onclick: function () {
          Z.api('POST', '/sandbox/api/subscribe', { template_ids: ids, accept: true }).then(done, function (err) { box.appendChild(h('p', { class: 'state error', role: 'alert' }, err.message)); });
        } }, '订阅案件进展通知'));
        box.hidden = false;
      }
    }, function () { /* without the offer the page works as before */ });
    return box;
  }

  // openSubscribeTag signs wx.config for this page and shows
  // <wx-open-subscribe template="…">; the user's answer reaches the server
  // through WeChat's callback (subscribe_msg_popup_event).
  function openSubscribeTag(box, ids, done) {
    loadJSSDK().then(function () {
      return get('/jssdk-config?url=' + encodeURIComponent(location.href.split('#')[0]));
    }).then(function (cfg) {
      window.wx.config({ debug: false, appId: cfg.app_id, timestamp: cfg.timestamp, nonceStr: cfg.nonce_str,
        signature: cfg.signature, jsApiList: ['checkJsApi'], openTagList: ['wx-open-subscribe'] });
      var tag = document.createElement('wx-open-subscribe');
      tag.setAttribute('template', ids.join(','));
      tag.id = 'subscribe-tag';
      var tpl = document.createElement('script');
      tpl.type = 'text/wxtag-template';
      tpl.textContent = '<button style="padding:8px 16px;font-size:15px">订阅案件进展通知</button>';
      tag.appendChild(tpl);
      tag.addEventListener('success', function (e) {
        var detail = (e.detail && e.detail.subscribeDetails) || '';
        if (detail.indexOf('accept') >= 0) done();
      });
      box.appendChild(tag);
      box.hidden = false;
    }, function () { /* no JS-SDK: no offer */ });
  }

  function loadJSSDK() {
    return new Promise(function (resolve, reject) {
      if (window.wx) return resolve();
      var s = document.createElement('script');
      s.src = 'https://res.wx.qq.com/open/js/jweixin-1.6.0.js';
      s.onload = resolve;
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }

  // unitCard is the procuratorate handling the case and how to reach it:
  // the phone number is a tel: link, one tap to call.
  function unitCard(u) {
    if (!u || typeof u !== 'object' || !u.name) return null;
    return h('section', { class: 'card', id: 'case-unit' },
      h('h2', null, '办案单位'),
      h('dl', { class: 'kv' },
        h('dt', null, '单位'), h('dd', null, u.name),
        u.address ? [h('dt', null, '地址'), h('dd', null, u.address)] : null,
        u.phone ? [h('dt', null, '电话'), h('dd', null, h('a', { href: 'tel:' + u.phone.replace(/[^0-9+]/g, ''), id: 'unit-phone' }, u.phone))] : null,
        u.reception_hours ? [h('dt', null, '接待时间'), h('dd', null, u.reception_hours)] : null));
  }

  function unbind(b) {
    Z.confirmDialog('解除绑定', '解除后将不再收到该案件的进度推送，确定解除吗？', function () {
      return Z.api('DELETE', '/api/h5/bindings/' + b.id).then(function () { location.assign('/h5/'); });
    }, '解除', { danger: true });
  }

  // ---- 绑定案件 -----------------------------------------------------------
  function bindView() {
    page('绑定案件', 'bind');
    var party = partyForm(), lawyer = lawyerForm();
    var tabs = h('div', { class: 'segmented', role: 'tablist' });
    function show(which) {
      party.hidden = which !== 'party';
      lawyer.hidden = which !== 'lawyer';
      tabs.querySelectorAll('button').forEach(function (b) { b.classList.toggle('active', b.dataset.role === which); });
    }
    [['party', '我是当事人/近亲属'], ['lawyer', '我是律师']].forEach(function (t) {
      tabs.appendChild(h('button', { type: 'button', dataset: { role: t[0] }, onclick: function () { show(t[0]); } }, t[1]));
    });
    Z.mount(view, h('section', { class: 'card' }, tabs, party, lawyer));
    show(Z.param('role') === 'lawyer' ? 'lawyer' : 'party');
  }

  function bindingDone(form, b) {
    var msg = b.status === 'approved' ? '绑定成功，现在可以查看案件信息。' : '已提交，等待工作人员审核，审核结果将通过公众号通知您。';
    Z.mount(form, h('div', { class: 'form-ok', role: 'status', id: 'bind-result' }, msg),
      h('a', { class: 'btn block', href: b.status === 'approved' ? '/h5/cases/' + b.case_id : '/h5/' }, b.status === 'approved' ? '查看案件' : '返回我的案件'));
  }

  function partyForm() {
    var form = h('form', { id: 'party-form', novalidate: true },
      Z.field('部门受案号', h('input', { name: 'case_no', id: 'party-case-no', required: true, value: Z.param('case_no') || '', placeholder: '如：京检刑受〔2026〕1号' })),
      Z.field('姓名', h('input', { name: 'name', id: 'party-name', required: true, autocomplete: 'name' })),
      Z.field('身份证号', h('input', { name: 'id_number', id: 'party-id-number', required: true, maxlength: 18, autocomplete: 'off' }),
        '仅用于与案件当事人名单核对，加密保存。'),
      h('button', { type: 'submit', class: 'block' }, '提交绑定'));
    return Z.onSubmit(form, function (v) {
      return post('/bindings', { case_no: v.case_no, role: 'party', name: v.name, id_number: v.id_number }).then(function (b) { bindingDone(form, b); });
    });
  }

  // The lawyer's materials: one file input per upload kind of the API; the
  // 委托书 is required.
  var materialKinds = [
    ['power_of_attorney', '授权委托书', true],
    ['firm_letter', '律师事务所函', false],
    ['license', '律师执业证', false]
  ];

  function lawyerForm() {
    var note = h('p', { class: 'hint', id: 'profile-note' });
    var inputs = materialKinds.map(function (k) {
      return h('input', { type: 'file', name: 'file-' + k[0], id: 'material-' + k[0], multiple: true, accept: 'image/jpeg,image/png,application/pdf', dataset: { kind: k[0] } });
    });
    var form = h('form', { id: 'lawyer-form', novalidate: true }, note,
      Z.field('部门受案号', h('input', { name: 'case_no', id: 'lawyer-case-no', required: true, value: Z.param('case_no') || '' })),
      h('div', { class: 'field', dataset: { field: 'materials' } }, h('label', null, '委托材料'),
        materialKinds.map(function (k, i) {
          // Each input is its own field, so an upload's error lands on it.
          return h('div', { class: 'field material' }, h('label', { for: inputs[i].id, class: 'hint' }, k[1] + (k[2] ? '（必传）' : '（可选）')), inputs[i]);
        }),
        h('div', { class: 'hint' }, '图片（JPG/PNG）或 PDF，每个文件不超过 10 MB。')),
      h('button', { type: 'submit', class: 'block' }, '上传并提交'));
    get('/me').then(function (me) {
      if (!profileOf(me)) Z.mount(note, '提交前请先登记', h('a', { href: '/h5/profile?next=/h5/bind%3Frole%3Dlawyer' }, '律师信息'), '。');
    }, function () {});
    return Z.onSubmit(form, function (v) {
      var files = [];
      inputs.forEach(function (input) {
        Array.prototype.forEach.call(input.files, function (f) { files.push([input.dataset.kind, f]); });
      });
      if (!inputs[0].files.length) {
        throw new Z.ApiError(422, { error: { code: 'validation_failed', message: '请上传授权委托书', fields: { materials: '请上传授权委托书' } } });
      }
      // Uploads go one by one so that a failure names its file.
      var ids = [];
      var chain = Promise.resolve();
      files.forEach(function (kf) {
        chain = chain.then(function () {
          var fd = new FormData();
          fd.append('file', kf[1]);
          fd.append('kind', kf[0]);
          return Z.api('POST', '/api/h5/uploads', fd).then(function (u) { ids.push(u.id); }, function (err) {
            // The server names what is wrong with the file (type, size);
            // show that on the input the file was chosen in.
            var why = (err.fields && (err.fields.file || err.fields.kind)) || err.message;
            err.message = kf[1].name + '：' + why;
            err.fields = {};
            err.fields['file-' + kf[0]] = err.message;
            throw err;
          });
        });
      });
      return chain.then(function () {
        return post('/bindings', { case_no: v.case_no, role: 'lawyer', materials: ids });
      }).then(function (b) { bindingDone(form, b); });
    });
  }

  // ---- 律师信息 -----------------------------------------------------------
  function profileView() {
    page('律师信息', 'profile');
    Z.load(view, function () { return get('/me'); }, function (me) {
      var p = profileOf(me) || {};
      var form = h('form', { id: 'profile-form', novalidate: true },
        Z.field('姓名', h('input', { name: 'name', id: 'lawyer-name', value: p.name || '', autocomplete: 'name' })),
        Z.field('执业证号', h('input', { name: 'license_no', id: 'license-no', value: p.license_no || '', inputmode: 'numeric', maxlength: 17 }), '17 位数字'),
        Z.field('律师事务所', h('input', { name: 'firm', id: 'firm', value: p.firm || '' })),
        Z.field('手机号', h('input', { name: 'phone', id: 'phone', type: 'tel', inputmode: 'numeric', maxlength: 11, placeholder: p.phone_masked ? '已登记 ' + p.phone_masked + '，修改请重新填写' : '' })),
        h('button', { type: 'submit', class: 'block' }, '保存'));
      Z.onSubmit(form, function (v) {
        var next = Z.param('next');
        return Z.api('PUT', '/api/h5/me/lawyer' + (next ? '?next=' + encodeURIComponent(next) : ''), v).then(function (saved) {
          // Only a next the server checked and returned is followed.
          if (saved && saved.next) { location.assign(saved.next); return; }
          form.insertBefore(h('div', { class: 'form-ok', role: 'status' }, '已保存'), form.firstChild);
        });
      });
      return h('section', { class: 'card' }, h('p', { class: 'muted' }, '律师预约阅卷、申请会见前须登记执业信息。'), form);
    });
  }

  // ---- 预约阅卷 -----------------------------------------------------------
  var calendarDays = 21;

  function reviewView(p) {
    page('预约阅卷', 'cases', '/h5/cases/' + p.id);
    var from = new Date(), to = new Date();
    to.setDate(to.getDate() + calendarDays);
    var q = '?from=' + Z.isoDay(from) + '&to=' + Z.isoDay(to);
    Z.load(view, function () { return Promise.all([get('/cases/' + p.id + '/review-slots' + q), get('/reviews')]); }, function (all) {
      var res = all[0];
      // One live booking per case: show it instead of a form that would fail.
      var live = items(all[1]).filter(function (r) { return String(r.case_id) === p.id && (r.status === 'pending' || r.status === 'confirmed'); })[0];
      if (live) {
        var ls = live.slot || {};
        return h('section', { class: 'card', id: 'existing-review' }, h('h2', null, '您已预约本案阅卷'),
          h('p', null, [ls.date || live.date, Z.periodLabels[ls.period || live.period], ls.room || live.room].filter(Boolean).join(' '), ' ', Z.badge(live)),
          h('p', { class: 'muted' }, '每个案件同时只能有一个阅卷预约；如需改期，请先在「我的预约」中取消。'),
          h('a', { class: 'btn block', href: '/h5/appointments' }, '查看我的预约'));
      }
      var slots = items(res);
      if (!slots.length) return Z.empty('近期没有可预约的阅卷时段，请稍后再来。');
      var chosen = h('input', { type: 'hidden', name: 'slot_id', id: 'slot-id' });
      var chosenText = h('div', { class: 'hint', id: 'slot-text' }, '请在上方日历中选择时段');
      var cal = calendar(slots, function (s, btn) {
        cal.querySelectorAll('.slot.selected').forEach(function (b) { b.classList.remove('selected'); });
        btn.classList.add('selected');
        chosen.value = s.id;
        chosenText.textContent = '已选：' + s.date + ' ' + (Z.periodLabels[s.period] || s.period) + ' · ' + roomText(s.room) +
          (s.cancellable === false ? '。该时段已过取消截止时间，预约确认后不能自行取消（审核前仍可撤回）。' : '');
      });
      var copy = h('select', { name: 'copy_method', id: 'copy-method' }, Z.options(Z.copyMethods));
      var form = h('form', { id: 'review-form', novalidate: true },
        h('div', { class: 'field', dataset: { field: 'slot_id' } }, h('label', null, '阅卷时段'), chosen, chosenText),
        Z.field('阅卷方式', copy),
        Z.field('备注', h('textarea', { name: 'note', id: 'review-note', maxlength: 500, placeholder: '如需复制的卷宗范围等' })),
        h('button', { type: 'submit', class: 'block' }, '提交预约'));
      Z.onSubmit(form, function (v) {
        return post('/reviews', { case_id: Number(p.id), slot_id: Number(v.slot_id) || 0, copy_method: v.copy_method, note: v.note })
          .then(function () { location.assign('/h5/appointments?done=review'); });
      });
      return [h('section', { class: 'card' }, h('h2', null, '选择时段'),
        h('p', { class: 'muted' }, '数字为剩余名额；标“不可取消”的时段已过取消截止时间（阅卷前一日），确认后不能自行取消。'), cal), h('section', { class: 'card' }, form)];
    });
  }

  // roomText names a slot's reading room with its address.
  function roomText(room) {
    room = room || {};
    return (room.name || '') + (room.address ? '（' + room.address + '）' : '');
  }

  function remaining(s) { return s.remaining !== undefined ? s.remaining : s.capacity - s.booked; }

  // calendar lays the slots out by day; tapping an open slot calls pick.
  function calendar(slots, pick) {
    var byDay = {};
    slots.forEach(function (s) { (byDay[s.date] = byDay[s.date] || []).push(s); });
    return h('div', { class: 'calendar', id: 'calendar' }, Object.keys(byDay).sort().map(function (day) {
      var d = new Date(day + 'T00:00:00');
      return h('div', { class: 'day' }, h('div', { class: 'date' }, day.slice(5)), h('div', { class: 'weekday' }, Z.weekdays[d.getDay()]),
        byDay[day].sort(function (a, b) { return a.period === b.period ? (a.room.name < b.room.name ? -1 : 1) : (a.period < b.period ? -1 : 1); }).map(function (s) {
          var left = remaining(s), full = left <= 0 || s.closed, room = s.room || {};
          // Two rooms open at the same time differ only by room: each slot
          // names its room and address, not just in a tooltip.
          var btn = h('button', { type: 'button', class: 'slot' + (full ? ' full' : ''), disabled: full, dataset: { slot: s.id, room: room.name || '' },
            'aria-label': day + ' ' + (Z.periodLabels[s.period] || s.period) + ' ' + roomText(room) + (full ? ' 已满' : ' 余' + left) },
            h('span', { class: 'slot-time' }, (Z.periodLabels[s.period] || s.period) + (full ? ' 已满' : ' 余' + left)),
            h('span', { class: 'slot-room' }, room.name || ''),
            room.address ? h('span', { class: 'slot-address', title: room.address }, room.address) : null,
            !full && s.cancellable === false ? h('small', { class: 'no-cancel' }, '不可取消') : null);
          btn.addEventListener('click', function () { pick(s, btn); });
          return btn;
        }));
    }));
  }

  // ---- 申请会见 -----------------------------------------------------------
  function meetingView(p) {
    page('申请会见', 'cases', '/h5/cases/' + p.id);
    var type = h('select', { name: 'type', id: 'meeting-type' }, Z.options(Z.meetingTypes));
    var form = h('form', { id: 'meeting-form', novalidate: true },
      Z.field('申请事项', type),
      h('div', { class: 'field', dataset: { field: 'preferred_times' } }, h('label', { for: 'time1' }, '希望时间（两个）'),
        h('input', { type: 'datetime-local', name: 'time1', id: 'time1', dataset: { field: 'preferred_times.0' } }),
        h('input', { type: 'datetime-local', name: 'time2', id: 'time2', class: 'second', dataset: { field: 'preferred_times.1' } }),
        h('div', { class: 'hint', id: 'meeting-hours' }, '可选时间：' + Z.vocab.meeting_hours + '。工作人员将在 3 个工作日内答复并确定时间地点。')),
      Z.field('事由', h('textarea', { name: 'note', id: 'meeting-note', maxlength: 500 })),
      h('button', { type: 'submit', class: 'block' }, '提交申请'));
    Z.onSubmit(form, function (v) {
      var times = [Z.rfc3339(v.time1), Z.rfc3339(v.time2)].filter(Boolean);
      return post('/meetings', { case_id: Number(p.id), type: v.type, preferred_times: times, note: v.note })
        .then(function () { location.assign('/h5/appointments?done=meeting'); });
    });
    Z.mount(view, h('section', { class: 'card' }, form));
  }

  // ---- 我的预约 -----------------------------------------------------------
  function appointmentsView() {
    page('我的预约', 'appointments');
    var done = Z.param('done');
    Z.load(view, function () { return Promise.all([get('/reviews'), get('/meetings')]); }, function (res) {
      var reviews = items(res[0]), meetings = items(res[1]);
      return [
        done ? h('div', { class: 'form-ok', role: 'status' }, done === 'review' ? '阅卷预约已提交，请等待确认。' : '会见申请已提交，请等待答复。') : null,
        h('h2', null, '阅卷预约'),
        reviews.length ? h('ul', { class: 'list', id: 'reviews' }, reviews.map(function (r) {
          var slot = r.slot || {};
          return h('li', { dataset: { status: r.status, room: slot.room || '' } },
            h('div', { class: 'row-head' }, h('strong', null, caseTitle(r)), Z.badge(r)),
            h('div', null, (slot.date || r.date || '') + ' ' + (Z.periodLabels[slot.period || r.period] || '') + ' ' + roomText(slot.room)),
            r.reason ? h('div', { class: 'muted' }, '原因：' + r.reason) : null,
            r.status === 'confirmed' && r.cancel_by && cancellable(r) ? h('div', { class: 'muted' }, '可取消至 ' + Z.fmtDateTime(r.cancel_by)) : null,
            r.cancel_note ? h('div', { class: 'muted cancel-note' }, r.cancel_note) : null,
            cancellable(r) ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger small cancel-review', onclick: function () { cancel('reviews', r); } }, r.status === 'pending' ? '撤回预约' : '取消预约')) : null);
        })) : Z.empty('暂无阅卷预约'),
        h('h2', null, '会见申请'),
        meetings.length ? h('ul', { class: 'list', id: 'meetings' }, meetings.map(function (m) {
          return h('li', null,
            h('div', { class: 'row-head' }, h('strong', null, caseTitle(m)), Z.badge(m)),
            h('div', null, m.type),
            m.time ? h('div', null, '时间：' + Z.fmtDateTime(m.time) + (m.place ? '，地点：' + m.place : '')) : null,
            (m.preferred_times || []).length && !m.time ? h('div', { class: 'muted' }, '希望：' + m.preferred_times.map(Z.fmtDateTime).join('、')) : null,
            m.reason ? h('div', { class: 'muted' }, '原因：' + m.reason) : null,
            cancellable(m) ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger small', onclick: function () { cancel('meetings', m); } }, '取消申请')) : null);
        })) : Z.empty('暂无会见申请')
      ];
    });
  }

  // cancellable: live, and as the server says (a review's cancel cut-off
  // binds only confirmed bookings; a pending request can be withdrawn).
  function cancellable(x) {
    if (x.status !== 'pending' && x.status !== 'confirmed') return false;
    return x.cancellable !== false;
  }

  function cancel(kind, x) {
    Z.confirmDialog('确认取消', '确定取消这项' + (kind === 'reviews' ? '阅卷预约' : '会见申请') + '吗？', function () {
      return post('/' + kind + '/' + x.id + '/cancel', {}).then(appointmentsView);
    }, '确定取消');
  }

  Z.route([
    ['/h5/', casesView],
    ['/h5/cases/:id', caseView],
    ['/h5/cases/:id/review', reviewView],
    ['/h5/cases/:id/meeting', meetingView],
    ['/h5/bind', bindView],
    ['/h5/profile', profileView],
    ['/h5/appointments', appointmentsView],
    // The addresses pushes and replies link to.
    ['/h5/bindings', casesView],
    ['/h5/reviews', appointmentsView],
    ['/h5/meetings', appointmentsView]
  ], function () {
    page('页面不存在', '');
    Z.mount(view, Z.failure({ message: '页面不存在' }));
  });
})();
