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
    document.querySelectorAll('#tabs a').forEach(function (a) {
      a.classList.toggle('active', a.dataset.tab === tab);
      if (a.dataset.tab === tab) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    });
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
    // Each choice is a page of its own: links, the current one marked.
    Z.mount(view, h('nav', { class: 'segmented', 'aria-label': '案件信息' }, publicTabs.map(function (t) {
      return h('a', { href: '/h5/' + (t[0] ? '?tab=' + t[0] : ''), 'aria-current': t[0] === tab ? 'page' : null }, t[1]);
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
          h('a', { class: 'btn secondary', href: '/h5/cases/' + p.id + '/meeting', id: 'request-meeting' }, '申请会见'),
          h('a', { class: 'btn secondary', href: '/h5/cases/' + p.id + '/efile', id: 'request-efile' }, '线上阅卷')) : null,
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
    var party = h('div', { id: 'party-panel' }, partyForm()), lawyer = h('div', { id: 'lawyer-panel' }, lawyerForm());
    var tabs = Z.tabs('绑定身份', [['party', '我是当事人/近亲属', party], ['lawyer', '我是律师', lawyer]],
      Z.param('role') === 'lawyer' ? 'lawyer' : 'party');
    Z.mount(view, h('section', { class: 'card' }, tabs, party, lawyer));
  }

  function bindingDone(form, b) {
    var msg = b.status === 'approved' ? '绑定成功，现在可以查看案件信息。' : '已提交，等待工作人员审核，审核结果将通过公众号通知您。';
    Z.mount(form, h('div', { class: 'form-ok', role: 'status', id: 'bind-result' }, msg),
      h('a', { class: 'btn block', href: b.status === 'approved' ? '/h5/cases/' + b.case_id : '/h5/' }, b.status === 'approved' ? '查看案件' : '返回我的案件'));
  }

  function partyForm() {
    var consent = consentBox([PURPOSE_ID_NUMBER]);
    var form = h('form', { id: 'party-form', novalidate: true },
      Z.field('部门受案号', h('input', { name: 'case_no', id: 'party-case-no', required: true, value: Z.param('case_no') || '', placeholder: '如：京检刑受〔2026〕1号' })),
      Z.field('姓名', h('input', { name: 'name', id: 'party-name', required: true, autocomplete: 'name' })),
      Z.field('身份证号', h('input', { name: 'id_number', id: 'party-id-number', required: true, maxlength: 18, autocomplete: 'off' }),
        '仅用于与案件当事人名单核对，不保存。'),
      consent,
      h('button', { type: 'submit', class: 'block' }, '提交绑定'));
    return Z.onSubmit(form, function (v) {
      return consent.gate().then(function () {
        return post('/bindings', { case_no: v.case_no, role: 'party', name: v.name, id_number: v.id_number });
      }).then(function (b) { bindingDone(form, b); });
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
    var consent = consentBox([PURPOSE_UPLOADS]);
    var note = h('p', { class: 'hint', id: 'profile-note' });
    var inputs = materialKinds.map(function (k) {
      return h('input', { type: 'file', name: 'file-' + k[0], id: 'material-' + k[0], multiple: true, accept: 'image/jpeg,image/png,application/pdf', dataset: { kind: k[0] } });
    });
    var form = h('form', { id: 'lawyer-form', novalidate: true }, note,
      Z.field('部门受案号', h('input', { name: 'case_no', id: 'lawyer-case-no', required: true, value: Z.param('case_no') || '' })),
      h('fieldset', { class: 'field', dataset: { field: 'materials' }, 'aria-describedby': 'materials-hint' }, h('legend', null, '委托材料'),
        materialKinds.map(function (k, i) {
          // Each input is its own field, so an upload's error lands on it.
          return h('div', { class: 'field subfield' }, h('label', { for: inputs[i].id }, k[1] + (k[2] ? '（必传）' : '（可选）')), inputs[i]);
        }),
        h('div', { class: 'hint', id: 'materials-hint' }, '图片（JPG/PNG）或 PDF，每个文件不超过 10 MB。')),
      consent,
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
      var chain = consent.gate();
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
    page('我的', 'profile');
    Z.load(view, function () { return get('/me'); }, function (me) {
      var p = profileOf(me) || {};
      var consent = consentBox([PURPOSE_PHONE]);
      var form = h('form', { id: 'profile-form', novalidate: true },
        Z.field('姓名', h('input', { name: 'name', id: 'lawyer-name', value: p.name || '', autocomplete: 'name' })),
        Z.field('执业证号', h('input', { name: 'license_no', id: 'license-no', value: p.license_no || '', inputmode: 'numeric', maxlength: 17 }), '17 位数字'),
        Z.field('律师事务所', h('input', { name: 'firm', id: 'firm', value: p.firm || '' })),
        Z.field('手机号', h('input', { name: 'phone', id: 'phone', type: 'tel', inputmode: 'numeric', maxlength: 11, placeholder: p.phone_masked ? '已登记 ' + p.phone_masked + '，修改请重新填写' : '' })),
        consent,
        h('button', { type: 'submit', class: 'block' }, '保存'));
      Z.onSubmit(form, function (v) {
        var next = Z.param('next');
        var body = { name: v.name, license_no: v.license_no, firm: v.firm, phone: v.phone };
        return consent.gate().then(function () {
          return Z.api('PUT', '/api/h5/me/lawyer' + (next ? '?next=' + encodeURIComponent(next) : ''), body);
        }).then(function (saved) {
          // Only a next the server checked and returned is followed.
          if (saved && saved.next) { location.assign(saved.next); return; }
          form.insertBefore(h('div', { class: 'form-ok', role: 'status' }, '已保存'), form.firstChild);
        });
      });
      return [h('section', { class: 'card' }, h('h2', null, '律师信息'), h('p', { class: 'muted' }, '律师预约阅卷、申请会见前须登记执业信息。'), form),
        smsCard(me),
        h('section', { class: 'card' }, h('h2', null, '隐私'),
          h('a', { class: 'row', href: '/h5/privacy', id: 'privacy-link' }, '隐私政策、我的同意与注销账号'))];
    });
  }

  // ---- 隐私：同意与注销 ---------------------------------------------------
  // The purposes the forms ask consent for (GET /api/public/privacy names
  // them; the server refuses data of a purpose not consented to, 403
  // consent_required).
  var PURPOSE_ID_NUMBER = 'id_number', PURPOSE_PHONE = 'phone', PURPOSE_UPLOADS = 'uploads';

  function privacyNotice() { return Z.api('GET', '/api/public/privacy'); }

  function purposeOf(notice, code) {
    return (notice.purposes || []).filter(function (p) { return p.code === code; })[0] || { code: code, name: code };
  }

  // consentBox asks, in a form that gives personal data of purposes, for
  // the consents not yet given to the notice in force: one checkbox per
  // purpose, never ticked in advance (a separate consent for each, as for
  // sensitive data). box.gate() records the ticked ones before the form
  // sends its data, and refuses while one is not ticked.
  function consentBox(purposes) {
    var box = h('div', { class: 'consents' });
    var missing = [], version = '';
    var ready = Promise.all([privacyNotice(), get('/consents')]).then(function (res) {
      var notice = res[0];
      var given = items(res[1]).filter(function (c) { return c.current; }).map(function (c) { return c.purpose; });
      version = notice.version;
      missing = purposes.filter(function (code) { return given.indexOf(code) < 0; });
      Z.mount(box, missing.map(function (code) {
        var p = purposeOf(notice, code);
        var input = h('input', { type: 'checkbox', id: 'consent-' + code, name: 'consent-' + code, value: code });
        return h('div', { class: 'field consent' }, h('label', { for: input.id, class: 'check' }, input,
          '我已阅读', h('a', { href: '/h5/privacy', target: '_blank', rel: 'noopener' }, '《隐私政策》'),
          '，同意处理我的' + p.name + (p.sensitive ? '（敏感个人信息）' : '')));
      }));
    });
    box.gate = function () {
      return ready.then(function () {
        var unticked = missing.filter(function (code) { return !box.querySelector('#consent-' + code).checked; });
        if (unticked.length) {
          var fields = {};
          unticked.forEach(function (code) { fields['consent-' + code] = '请阅读隐私政策并勾选同意后再提交'; });
          throw new Z.ApiError(403, { error: { code: 'consent_required', message: '请先同意个人信息处理', fields: fields } });
        }
        if (!missing.length) return null;
        return post('/consents', { version: version, purposes: missing }).then(function () {
          missing = [];
          Z.mount(box);
        });
      });
    };
    return box;
  }

  // What withdrawing each purpose does (docs/design.md §13).
  var withdrawEffects = {
    id_number: '撤回后，以当事人身份绑定案件须重新同意；已完成的绑定不受影响。',
    phone: '撤回后将删除您登记的手机号码，律师信息须重新填写手机号码。',
    uploads: '撤回后，等待审核的绑定申请将一并撤回，不再需要的上传材料将被删除。'
  };

  function privacyView() {
    page('隐私政策', 'profile', '/h5/profile');
    Z.load(view, function () { return Promise.all([privacyNotice(), get('/consents')]); }, function (res) {
      var notice = res[0], consents = items(res[1]);
      return [
        h('section', { class: 'card', id: 'privacy-notice' }, h('h1', null, '隐私政策（个人信息处理规则）'),
          h('p', { class: 'muted' }, '版本 ' + notice.version), h('div', { class: 'notice-text' }, notice.text)),
        h('section', { class: 'card' }, h('h2', null, '我的同意'),
          consents.length ? h('ul', { class: 'list', id: 'consents' }, consents.map(function (c) {
            return h('li', { dataset: { purpose: c.purpose } },
              h('div', { class: 'row-head' }, h('strong', null, c.name), c.sensitive ? h('span', { class: 'badge' }, '敏感') : null),
              h('div', { class: 'muted' }, '同意于 ' + Z.fmtDateTime(c.given_at) + '（版本 ' + c.version + (c.current ? '' : '，隐私政策已更新，使用时将再次征求同意') + '）'),
              h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary small withdraw-consent', dataset: { purpose: c.purpose },
                onclick: function () { withdrawConsent(c); } }, '撤回同意')));
          })) : Z.empty('您尚未同意任何个人信息处理。')),
        h('section', { class: 'card' }, h('h2', null, '注销账号'),
          h('p', { class: 'muted' }, '注销后将删除您的律师信息、手机号码和不属于办案记录的上传材料，解除全部绑定，并解除与您微信账号的关联。依法须保存的记录见上文第五条。'),
          h('button', { type: 'button', class: 'danger block', id: 'delete-account', onclick: deleteAccount }, '注销账号'))
      ];
    });
  }

  function withdrawConsent(c) {
    Z.confirmDialog('撤回同意', withdrawEffects[c.purpose] || '确定撤回这项同意吗？', function () {
      return Z.api('DELETE', '/api/h5/consents/' + encodeURIComponent(c.purpose)).then(privacyView);
    }, '撤回', { danger: true });
  }

  function deleteAccount() {
    Z.confirmDialog('注销账号', '注销后不能恢复：律师信息、手机号码和上传材料将被删除，全部绑定将被解除。确定注销吗？', function () {
      return Z.api('DELETE', '/api/h5/me').then(function () {
        page('账号已注销', '');
        Z.mount(view, h('div', { class: 'form-ok', role: 'status', id: 'account-deleted' }, '您的账号已注销，个人信息已删除。'));
      });
    }, '确定注销', { danger: true });
  }

  // smsCard lets a lawyer or party leave a mobile number for SMS notices,
  // sent only when WeChat cannot reach them and only with their consent.
  function smsCard(me) {
    var consent = consentBox([PURPOSE_PHONE]);
    var form = h('form', { id: 'phone-form', novalidate: true },
      Z.field('手机号', h('input', { name: 'phone', id: 'sms-phone', type: 'tel', inputmode: 'numeric', maxlength: 11,
        placeholder: me.phone ? '已登记 ' + me.phone + '，修改请重新填写' : '11 位中国大陆手机号码' })),
      h('div', { class: 'field' }, h('label', null, h('input', { type: 'checkbox', name: 'sms_consent', id: 'sms-consent', value: 'true', checked: !!me.sms_consent }),
        ' 同意在无法通过微信通知时，以短信接收案件进展和预约结果')),
      consent,
      h('button', { type: 'submit', class: 'block secondary' }, '保存手机号'));
    var state = h('p', { class: 'muted', id: 'phone-state' }, me.phone ? '已登记 ' + me.phone + (me.sms_consent ? '，已同意短信通知' : '，未同意短信通知') : '尚未登记接收短信的手机号。');
    Z.onSubmit(form, function (v) {
      return consent.gate().then(function () {
        return Z.api('PUT', '/api/h5/me/phone', { phone: v.phone, sms_consent: v.sms_consent === 'true' });
      }).then(function (saved) {
        Z.mount(state, '已登记 ' + saved.phone + (saved.sms_consent ? '，已同意短信通知' : '，未同意短信通知'));
        form.insertBefore(h('div', { class: 'form-ok', role: 'status' }, '已保存'), form.firstChild);
      });
    });
    return h('section', { class: 'card', id: 'sms-card' }, h('h2', null, '短信通知'), state, form);
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
      var chosenText = h('div', { class: 'hint', id: 'slot-text', role: 'status' }, '请在上方日历中选择时段');
      var cal = calendar(slots, function (s, btn) {
        cal.querySelectorAll('.slot.selected').forEach(function (b) { b.classList.remove('selected'); b.setAttribute('aria-pressed', 'false'); });
        btn.classList.add('selected');
        btn.setAttribute('aria-pressed', 'true');
        chosen.value = s.id;
        chosenText.textContent = '已选：' + s.date + ' ' + (Z.periodLabels[s.period] || s.period) + ' · ' + roomText(s.room) +
          (s.cancellable === false ? '。该时段已过取消截止时间，预约确认后不能自行取消（审核前仍可撤回）。' : '');
      });
      var copy = h('select', { name: 'copy_method', id: 'copy-method' }, Z.options(Z.copyMethods));
      var form = h('form', { id: 'review-form', novalidate: true },
        h('div', { class: 'field', dataset: { field: 'slot_id' } }, h('span', { class: 'label' }, '阅卷时段'), chosen, chosenText),
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
          // names its room and address, not just in a tooltip. A screen
          // reader hears its date too (the column head shows it).
          var btn = h('button', { type: 'button', class: 'slot' + (full ? ' full' : ''), disabled: full, dataset: { slot: s.id, room: room.name || '' },
            'aria-pressed': 'false' },
            h('span', { class: 'sr-only' }, day + ' '),
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
      h('fieldset', { class: 'field', dataset: { field: 'preferred_times' }, 'aria-describedby': 'meeting-hours' }, h('legend', null, '希望时间（两个）'),
        [['time1', '第一希望时间', 0], ['time2', '第二希望时间', 1]].map(function (t) {
          return h('div', { class: 'field subfield' }, h('label', { for: t[0] }, t[1]),
            h('input', { type: 'datetime-local', name: t[0], id: t[0], dataset: { field: 'preferred_times.' + t[2] } }));
        }),
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

  // ---- 线上阅卷 -----------------------------------------------------------
  // efileApplyView applies for a case's electronic file and lists the
  // user's requests of that case.
  function efileApplyView(p) {
    page('线上阅卷', 'cases', '/h5/cases/' + p.id);
    var form = h('form', { id: 'efile-form', novalidate: true },
      h('p', { class: 'hint' }, '工作人员将在 3 个工作日内答复。批准后可在期限内下载电子卷宗；每份下载都带有您的姓名、执业证号和下载时间水印，并以单独提供的密码加密。'),
      Z.field('申请说明', h('textarea', { name: 'note', id: 'efile-note', maxlength: 500 })),
      h('button', { type: 'submit', class: 'block' }, '提交申请'));
    Z.onSubmit(form, function (v) {
      return post('/efile-requests', { case_id: Number(p.id), note: v.note }).then(function (r) { location.assign('/h5/efile-requests/' + r.id); });
    });
    var mine = h('div', { id: 'efile-mine' });
    Z.mount(view, h('section', { class: 'card' }, form), mine);
    Z.load(mine, function () { return get('/efile-requests'); }, function (res) {
      var rows = items(res).filter(function (r) { return String(r.case_id) === p.id; });
      return rows.length ? [h('h2', null, '本案申请'), efileList(rows)] : null;
    });
  }

  function efileList(rows) {
    return h('ul', { class: 'list', id: 'efiles' }, rows.map(function (r) {
      return h('li', { dataset: { status: r.status } },
        h('a', { href: '/h5/efile-requests/' + r.id }, h('div', { class: 'row-head' }, h('strong', null, caseTitle(r)), Z.badge(r))),
        r.expires_at ? h('div', { class: 'muted' }, '下载截止 ' + Z.fmtDateTime(r.expires_at)) : null,
        r.reason ? h('div', { class: 'muted' }, '原因：' + r.reason) : null);
    }));
  }

  // efileView is one request: its state, the files with the downloads
  // left, and the password — shown in the first view after a fresh
  // WeChat login only, so it is said plainly how to see it again.
  function efileView(p) {
    page('线上阅卷', 'appointments', '/h5/appointments');
    Z.load(view, function () { return get('/efile-requests/' + p.id); }, function (r) {
      var here = '/h5/efile-requests/' + r.id;
      var status = h('div', { class: 'muted', id: 'efile-status-note' });
      var password = null;
      if (r.status === 'approved') {
        if (r.password) {
          password = h('section', { class: 'card', id: 'efile-password' }, h('div', { class: 'muted' }, '下载密码（仅显示这一次，请立即记下）'),
            h('div', { class: 'password' }, r.password));
        } else if (r.password_sent) {
          password = h('p', { class: 'muted', id: 'efile-password-note' }, '下载密码已通过短信发送至您登记的手机。');
        } else {
          password = h('p', { class: 'muted', id: 'efile-password-note' }, '下载密码只在通过微信重新进入本页时显示一次。如未记下，请',
            h('a', { href: '/h5/login?next=' + encodeURIComponent(here) }, '重新登录后查看'), '。');
        }
      }
      var files = (r.files || []).map(function (f) {
        var msg = h('div', { class: 'form-error', role: 'alert', hidden: true });
        var btn = h('button', { type: 'button', class: 'small', disabled: r.status !== 'approved' || f.downloads_left < 1, dataset: { file: f.id } },
          '下载');
        btn.addEventListener('click', function () { efileDownload(r, f, btn, msg); });
        return h('li', { dataset: { file: f.id } },
          h('div', { class: 'row-head' }, h('strong', null, f.name), btn),
          h('div', { class: 'muted downloads-left' }, f.pages + ' 页 · 还可下载 ' + f.downloads_left + ' 次'), msg);
      });
      return [
        h('section', { class: 'card', id: 'efile-detail', dataset: { status: r.status } },
          h('div', { class: 'row-head' }, h('h1', null, caseTitle(r)), Z.badge(r)),
          r.expires_at ? h('div', null, '下载截止 ' + Z.fmtDateTime(r.expires_at)) : h('div', { class: 'muted' }, '答复期限 ' + Z.fmtDateTime(r.reply_by)),
          r.reason ? h('div', { class: 'muted' }, '原因：' + r.reason) : null, status),
        password,
        h('section', { class: 'card' }, h('h2', null, '电子卷宗'),
          files.length ? h('ul', { class: 'list', id: 'efile-files' }, files) : Z.empty(r.status === 'pending' ? '申请审核中' : '暂无文件'))
      ];
    });
  }

  // efileDownload fetches one watermarked copy and hands it to the
  // browser; a refusal (410: expired or used up) is shown by the file.
  function efileDownload(r, f, btn, msg) {
    btn.disabled = true;
    msg.hidden = true;
    fetch('/api/h5/efile-requests/' + r.id + '/files/' + f.id, { credentials: 'same-origin' }).then(function (res) {
      if (!res.ok) {
        return res.json().catch(function () { return {}; }).then(function (body) {
          throw new Error((body.error && body.error.message) || '下载失败，请稍后再试');
        });
      }
      return res.blob().then(function (blob) {
        var a = h('a', { href: URL.createObjectURL(blob), download: f.name });
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); efileView({ id: String(r.id) }); }, 1000);
      });
    }).catch(function (err) {
      Z.mount(msg, err.message);
      msg.hidden = false;
      btn.disabled = false;
    });
  }

  // ---- 我的预约 -----------------------------------------------------------
  function appointmentsView() {
    page('我的预约', 'appointments');
    var done = Z.param('done');
    Z.load(view, function () { return Promise.all([get('/reviews'), get('/meetings'), get('/efile-requests')]); }, function (res) {
      var reviews = items(res[0]), meetings = items(res[1]), efiles = items(res[2]);
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
        })) : Z.empty('暂无会见申请'),
        h('h2', null, '线上阅卷'),
        efiles.length ? efileList(efiles) : Z.empty('暂无线上阅卷申请')
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

  // ---- 评价 ---------------------------------------------------------------
  // rateButton opens the rating form of a handled request (kind, id); done
  // is called once the rating is saved.
  function rateButton(kind, id, done) {
    return h('button', { type: 'button', class: 'small rate', dataset: { rate: kind + ':' + id }, onclick: function () {
      Z.dialog('评价', function () {
        return [
          h('div', { class: 'field', dataset: { field: 'stars' } }, h('label', null, '满意度'),
            h('div', { class: 'stars-input', role: 'radiogroup' }, [1, 2, 3, 4, 5].map(function (n) {
              return h('label', { class: 'star' }, h('input', { type: 'radio', name: 'stars', value: String(n), id: 'stars-' + n }), n + ' 星');
            }))),
          h('div', { class: 'field', dataset: { field: 'tags' } }, h('label', null, '标签（可多选）'),
            h('div', { class: 'tags-input' }, (Z.vocab.rating_tags || []).map(function (t, i) {
              return h('label', { class: 'tag' }, h('input', { type: 'checkbox', name: 'tag', value: t, id: 'tag-' + i }), t);
            }))),
          Z.field('留言', h('textarea', { name: 'comment', id: 'rating-comment', maxlength: 300, placeholder: '选填，300 字以内' }))
        ];
      }, function () {
        var dlg = document.querySelector('dialog, .dialog-fallback');
        var star = dlg.querySelector('input[name=stars]:checked');
        var tags = Array.prototype.map.call(dlg.querySelectorAll('input[name=tag]:checked'), function (x) { return x.value; });
        return post('/ratings', { kind: kind, id: id, stars: star ? Number(star.value) : 0, tags: tags,
          comment: dlg.querySelector('#rating-comment').value }).then(done);
      }, '提交评价');
    } }, '评价');
  }

  // ratingLine shows a request's rating, or the button to rate it.
  function ratingLine(x, kind, done) {
    if (x.rating) return h('div', { class: 'muted rating' }, '已评价：' + new Array(x.rating.stars + 1).join('★') + (x.rating.tags.length ? ' ' + x.rating.tags.join('、') : ''));
    return x.rateable ? h('div', { class: 'actions' }, rateButton(kind, x.id, done)) : null;
  }

  // ---- 我的申请 -----------------------------------------------------------
  // Every kind of request the user made, as GET /api/h5/requests lists
  // them (the server's table of kinds decides which there are).
  function requestsView() {
    page('我的申请', 'requests', '/h5/');
    Z.load(view, function () { return get('/requests'); }, function (res) {
      var rows = items(res);
      if (!rows.length) return Z.empty('您还没有提交过申请。');
      return h('ul', { class: 'list', id: 'requests' }, rows.map(function (r) {
        var own = r.path && r.path !== location.pathname;
        return h('li', { dataset: { kind: r.kind, id: r.id, status: r.status } },
          h('div', { class: 'row-head' }, h('strong', null, r.kind_label), Z.badge(r)),
          h('div', null, own ? h('a', { href: r.path }, r.title || '查看') : r.title),
          h('div', { class: 'muted' }, '提交于 ' + Z.fmtDateTime(r.created_at)),
          ratingLine(r, r.kind, requestsView));
      }));
    });
  }

  // ---- 投诉建议（控告申诉） --------------------------------------------------
  function complaintsView() {
    page('投诉建议', 'requests', '/h5/');
    Z.load(view, function () { return get('/complaints'); }, function (res) {
      var rows = items(res);
      return [
        h('p', null, h('a', { class: 'btn block', href: '/h5/complaints/new', id: 'new-complaint' }, '提交投诉或申请')),
        rows.length ? h('ul', { class: 'list', id: 'complaints' }, rows.map(function (c) {
          return h('li', { dataset: { status: c.status } }, h('a', { class: 'row', href: '/h5/complaints/' + c.id },
            h('div', { class: 'row-head' }, h('strong', null, c.category_label), Z.badge(c)),
            h('div', { class: 'muted' }, (c.unit ? c.unit.name + ' · ' : '') + Z.fmtDateTime(c.created_at))));
        })) : Z.empty('暂无投诉或申请')
      ];
    });
  }

  var maxComplaintFiles = 5;

  function complaintFormView() {
    page('提交投诉或申请', 'requests', '/h5/complaints');
    Z.load(view, function () {
      return Promise.all([Z.api('GET', '/api/public/units'), get('/cases').catch(function () { return { items: [] }; })]);
    }, function (res) {
      var categories = Z.vocab.complaint_categories || {};
      var files = h('input', { type: 'file', name: 'files', id: 'complaint-files', multiple: true, accept: 'application/pdf,image/jpeg,image/png' });
      var form = h('form', { id: 'complaint-form', novalidate: true },
        Z.field('类别', h('select', { name: 'category', id: 'complaint-category' }, Object.keys(categories).map(function (k) {
          return h('option', { value: k }, categories[k]);
        }))),
        Z.field('涉及单位', h('select', { name: 'unit_code', id: 'complaint-unit' }, Z.unitOptions(items(res[0])))),
        Z.field('涉及案件（选填）', h('select', { name: 'case_id', id: 'complaint-case' },
          [h('option', { value: '' }, '不涉及具体案件')].concat(items(res[1]).map(function (c) { return h('option', { value: String(c.id) }, caseTitle(c)); })))),
        Z.field('具体内容', h('textarea', { name: 'content', id: 'complaint-content', maxlength: 2000, rows: 6, placeholder: '请写明事实和诉求，2000 字以内' })),
        h('div', { class: 'field', dataset: { field: 'attachments' } }, h('label', { for: 'complaint-files' }, '附件（选填）'), files,
          h('div', { class: 'hint' }, '至多 ' + maxComplaintFiles + ' 个 PDF、JPEG 或 PNG 文件，每个不超过 10 MB')),
        h('button', { type: 'submit', class: 'block' }, '提交'));
      Z.onSubmit(form, function (v) {
        var picked = Array.prototype.slice.call(files.files);
        if (picked.length > maxComplaintFiles) throw new Z.ApiError(422, { error: { code: 'invalid_input', message: '附件至多 ' + maxComplaintFiles + ' 个', fields: { attachments: '附件至多 ' + maxComplaintFiles + ' 个' } } });
        var ids = [], chain = Promise.resolve();
        picked.forEach(function (f) {
          chain = chain.then(function () {
            var fd = new FormData();
            fd.append('kind', 'other');
            fd.append('file', f, f.name);
            return Z.api('POST', '/api/h5/uploads', fd).then(function (u) { ids.push(u.id); });
          });
        });
        return chain.then(function () {
          return post('/complaints', { category: v.category, unit_code: v.unit_code, case_id: Number(v.case_id) || 0, content: v.content, attachments: ids });
        }).then(function (c) { location.assign('/h5/complaints/' + c.id); });
      });
      return h('section', { class: 'card' }, h('p', { class: 'muted' }, '应公开未公开、不应公开而公开、阻碍律师依法执业等问题，由控告申诉部门统一受理，7 日内告知是否受理，并答复办理结果。'), form);
    });
  }

  function complaintView(p) {
    page('投诉办理进度', 'requests', '/h5/complaints');
    Z.load(view, function () { return get('/complaints/' + p.id); }, function (c) {
      return [h('section', { class: 'card', id: 'complaint' },
        h('div', { class: 'row-head' }, h('h2', null, c.category_label), Z.badge(c)),
        h('p', null, c.unit ? c.unit.name : ''),
        c.case_id ? h('p', { class: 'muted' }, caseTitle(c)) : null,
        h('p', { class: 'complaint-content' }, c.content),
        (c.attachments || []).map(function (a) { return h('div', null, h('a', { href: '/api/h5/uploads/' + a.id + '/file', target: '_blank' }, a.file_name)); }),
        c.result ? h('div', { class: 'form-ok', id: 'complaint-result' }, '办理结果：' + c.result) : null,
        c.status === 'resolved' ? complaintRating(c) : null),
        h('section', { class: 'card' }, h('h2', null, '办理经过'), Z.steps(c.steps))];
    });
  }

  // complaintRating shows a resolved complaint's rating, or the button to
  // rate it, as 我的申请 knows them.
  function complaintRating(c) {
    var box = h('div', { id: 'complaint-rating' });
    get('/requests').then(function (res) {
      var r = items(res).filter(function (x) { return x.kind === 'complaint' && x.id === c.id; })[0];
      if (r) Z.mount(box, ratingLine(r, 'complaint', function () { location.reload(); }));
    }, function () {});
    return box;
  }

  Z.route([
    ['/h5/requests', requestsView],
    ['/h5/complaints', complaintsView],
    ['/h5/complaints/new', complaintFormView],
    ['/h5/complaints/:id', complaintView],
    ['/h5/', casesView],
    ['/h5/cases/:id', caseView],
    ['/h5/cases/:id/review', reviewView],
    ['/h5/cases/:id/meeting', meetingView],
    ['/h5/cases/:id/efile', efileApplyView],
    ['/h5/bind', bindView],
    ['/h5/profile', profileView],
    ['/h5/privacy', privacyView],
    ['/h5/appointments', appointmentsView],
    // The addresses pushes and replies link to.
    ['/h5/bindings', casesView],
    ['/h5/reviews', appointmentsView],
    ['/h5/meetings', appointmentsView],
    ['/h5/efile-requests', appointmentsView],
    ['/h5/efile-requests/:id', efileView]
  ], function () {
    page('页面不存在', '');
    Z.mount(view, Z.failure({ message: '页面不存在' }));
  });
})();
