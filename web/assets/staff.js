// 掌上检察 — staff console. One shell (pages/staff.html) for every
// /staff/... path. Login keeps the CSRF token the API returns; Z.api sends
// it as X-CSRF-Token on every write. A 401 or a stale token goes back to
// the login page.
'use strict';

(function () {
  var h = Z.h;
  var userKey = 'zsjc.staff.user';
  Z.init({ loginPath: '/staff/login', csrfKey: 'zsjc.staff.csrf' });
  var view = document.getElementById('view');

  function me() {
    try { return JSON.parse(localStorage.getItem(userKey) || 'null'); } catch (e) { return null; }
  }
  // can reports whether the role may call a staff route ("POST
  // /bindings/:id/approve"), from the RBAC table /api/staff/me serves: the
  // console offers only what the server allows.
  function can(rule) { var u = me(); return !!u && (u.permissions || []).indexOf(rule) >= 0; }
  function remember(res) {
    var u = res.user || {};
    u.permissions = res.permissions || [];
    localStorage.setItem(userKey, JSON.stringify(u));
  }

  function get(path) { return Z.api('GET', '/api/staff' + path); }
  function post(path, body) { return Z.api('POST', '/api/staff' + path, body === undefined ? {} : body); }
  function items(res) { return (res && res.items) || []; }
  // withPage adds ?page= to a list query (page 1 is the default).
  function withPage(q, pageNo) { if (pageNo > 1) q.set('page', pageNo); return q; }
  // pager shows where a staff list page ({items,page,page_size,total}) is,
  // with buttons that call show(page).
  function pager(res, show) {
    var rows = items(res);
    var pages = Math.max(1, Math.ceil((res.total || rows.length) / (res.page_size || rows.length || 1)));
    var current = res.page || 1;
    return h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary small', disabled: current <= 1, onclick: function () { show(current - 1); } }, '上一页'),
      h('span', { class: 'muted' }, '第 ' + current + ' / ' + pages + ' 页，共 ' + (res.total || rows.length) + ' 条'),
      h('button', { type: 'button', class: 'secondary small', disabled: current >= pages, onclick: function () { show(current + 1); } }, '下一页'));
  }

  // navItems: page, title, the staff route the page lists.
  var navItems = [
    ['/staff/', '工作台', 'GET /me'], ['/staff/bindings', '绑定审核', 'GET /bindings'], ['/staff/reviews', '阅卷预约', 'GET /reviews'],
    ['/staff/meetings', '会见申请', 'GET /meetings'], ['/staff/efile-requests', '线上阅卷', 'GET /efile-requests'],
    ['/staff/cases', '案件管理', 'GET /cases'], ['/staff/slots', '阅卷日历', 'GET /review-slots'],
    ['/staff/pushes', '推送消息', 'GET /pushes'], ['/staff/stats', '统计', 'GET /stats'], ['/staff/reports', '通报', 'GET /reports/monthly'],
    ['/staff/complaints', '控告申诉', 'GET /complaints'], ['/staff/ratings', '评价', 'GET /ratings'],
    ['/staff/audit', '审计日志', 'GET /audit'], ['/staff/users', '用户管理', 'GET /users']
  ];

  function page(title) {
    document.title = title + ' · 掌上检察工作台';
    var nav = document.getElementById('nav');
    nav.hidden = false;
    Z.mount(nav, navItems.filter(function (n) { return can(n[2]); }).map(function (n) {
      var active = n[0] === '/staff/' ? location.pathname === '/staff/' : location.pathname.indexOf(n[0]) === 0;
      return h('a', { href: n[0], class: active ? 'active' : null, 'aria-current': active ? 'page' : null }, n[1]);
    }));
    var u = me();
    document.getElementById('who').textContent = u ? (u.display_name || u.username) : '';
    document.getElementById('logout').hidden = false;
    return Z.mount(view, h('h1', null, title));
  }

  document.getElementById('logout').addEventListener('click', function () {
    post('/logout').catch(function () {}).then(function () {
      Z.setCSRF('');
      localStorage.removeItem(userKey);
      location.assign('/staff/login');
    });
  });

  // table renders rows under columns [[header, cell(row)], ...]. A wide
  // table scrolls in its frame, which takes the focus so that the keyboard
  // can scroll it too.
  function table(columns, rows, id) {
    return h('div', { class: 'table-wrap', tabindex: '0' }, h('table', { id: id || null },
      h('thead', null, h('tr', null, columns.map(function (c) { return h('th', null, c[0]); }))),
      h('tbody', null, rows.map(function (r) {
        return h('tr', { dataset: { id: r.id } }, columns.map(function (c) { return h('td', null, c[1](r)); }));
      }))));
  }

  function caseCell(x) {
    var name = x.case_name || (x.case && x.case.name) || '';
    var no = x.case_no || (x.case && x.case.case_no) || '';
    // A lawyer's request for a number that matches no case: say so, no link.
    if (!x.case_id) return h('span', { class: 'case-unknown' }, no, h('div', { class: 'muted' }, x.case_note || '案号不存在'));
    return h('a', { href: '/staff/cases/' + x.case_id }, name || no || '案件 ' + x.case_id, name && no ? h('div', { class: 'muted' }, no) : null);
  }
  // applicant is who asked: the lawyer's profile, or the party matched.
  function applicant(x) {
    var l = x.lawyer || x.applicant;
    if (l) {
      return [l.name, h('div', { class: 'muted' }, [l.firm, l.phone_masked].filter(Boolean).join(' · ')),
        l.license_no ? h('div', { class: 'muted license' }, '执业证号 ' + l.license_no) : null];
    }
    if (x.party) return [x.party.name, h('div', { class: 'muted' }, x.party.role || '')];
    return '—';
  }
  var caseColumn = ['案件', caseCell];
  var submittedColumn = ['提交时间', function (x) { return Z.fmtDateTime(x.created_at); }];

  function overdue(x) {
    if (x.acknowledge_overdue !== undefined) return x.acknowledge_overdue || x.result_overdue;
    if (x.overdue !== undefined) return x.overdue;
    return x.status === 'pending' && !!x.reply_by && new Date(x.reply_by) < new Date();
  }
  function statusCell(x) { return [Z.badge(x), overdue(x) ? [' ', Z.badge('overdue', '已超期')] : null]; }

  function reasonDialog(title, path, reload, label) {
    Z.dialog(title, function () {
      return Z.field('理由（将告知申请人）', h('textarea', { name: 'reason', id: 'reason', required: true, maxlength: 500 }));
    }, function (v) { return post(path, { reason: v.reason }).then(reload); }, label || '驳回', { danger: true });
  }

  // queue renders a filtered list of requests with per-row actions.
  function queue(o) {
    var root = page(o.title);
    var filters = h('form', { class: 'toolbar', id: 'filters' },
      h('div', { class: 'field' }, h('label', { for: 'status' }, '状态'),
        h('select', { name: 'status', id: 'status' }, o.statuses.map(function (s) {
          return h('option', { value: s, selected: s === (Z.param('status') || o.statuses[0]) }, s ? Z.statusLabels[s] : '全部');
        }))),
      o.dateFilter ? h('div', { class: 'field' }, h('label', { for: 'date' }, '日期'), h('input', { type: 'date', name: 'date', id: 'date', value: Z.param('date') || '' })) : null,
      h('button', { type: 'submit', class: 'secondary' }, '筛选'));
    var box = h('div', { id: 'queue' });
    Z.mount(root, root.firstChild, filters, o.summary ? o.summary() : null, box);
    var pageNo = 1;
    function reload() {
      var q = new URLSearchParams(Z.values(filters));
      Array.from(q.keys()).forEach(function (k) { if (!q.get(k)) q.delete(k); });
      history.replaceState(null, '', location.pathname + (q.toString() ? '?' + q : ''));
      withPage(q, pageNo);
      Z.load(box, function () { return get(o.path + (q.toString() ? '?' + q : '')); }, function (res) {
        var rows = items(res);
        if (!rows.length) return Z.empty(o.emptyText);
        return [table(o.columns.concat([['操作', function (x) { return h('div', { class: 'actions' }, o.actions(x, reload)); }]]), rows, o.tableId),
          pager(res, function (n) { pageNo = n; reload(); })];
      });
    }
    function first() { pageNo = 1; reload(); }
    filters.addEventListener('submit', function (ev) { ev.preventDefault(); first(); });
    filters.addEventListener('change', first);
    reload();
  }

  // ---- 登录 ---------------------------------------------------------------
  // After the password an account may owe a second factor: a code of its
  // authenticator app (or a recovery code), or at its first login the
  // enrolment of a new secret. The recovery codes of an enrolment are shown
  // once, before the console opens.
  function loginView() {
    document.title = '登录 · 掌上检察工作台';
    var form = h('form', { id: 'login-form', novalidate: true },
      Z.field('用户名', h('input', { name: 'username', id: 'username', autocomplete: 'username', required: true })),
      Z.field('密码', h('input', { name: 'password', id: 'password', type: 'password', autocomplete: 'current-password', required: true })),
      h('button', { type: 'submit', class: 'block' }, '登录'));
    Z.onSubmit(form, function (v) {
      return Z.api('POST', '/api/staff/login', { username: v.username, password: v.password }, { noRedirect: true }).then(function (res) {
        if (res.need_2fa_enrolment) return enrolView(res);
        if (res.need_2fa) return codeView();
        loggedIn(res);
      });
    });
    Z.mount(view, h('section', { class: 'card login-box' }, h('h1', null, '工作人员登录'), form));
  }

  function loggedIn(res) {
    Z.setCSRF(res.csrf_token);
    remember(res);
    if (res.recovery_codes && res.recovery_codes.length) return recoveryCodesView(res.recovery_codes);
    var next = Z.param('next');
    location.assign(next && next.indexOf('/staff/') === 0 && next.indexOf('/staff/login') !== 0 ? next : '/staff/');
  }

  // codeForm sends a code to the login's second step; recovery lets the
  // form switch to a recovery code instead of the app's code.
  function codeForm(recovery) {
    var useRecovery = false;
    var input = h('input', { name: 'code', id: 'totp-code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, required: true });
    var label = h('label', { for: 'totp-code' }, '动态口令（6 位数字）');
    var form = h('form', { id: 'code-form', novalidate: true },
      h('div', { class: 'field' }, label, input),
      h('button', { type: 'submit', class: 'block' }, '验证'),
      recovery ? h('p', null, h('button', { type: 'button', class: 'link', id: 'use-recovery', onclick: function () {
        useRecovery = !useRecovery;
        label.textContent = useRecovery ? '恢复码（如 ABCDE-23456）' : '动态口令（6 位数字）';
        input.setAttribute('inputmode', useRecovery ? 'text' : 'numeric');
        input.setAttribute('autocomplete', useRecovery ? 'off' : 'one-time-code');
        input.maxLength = useRecovery ? 11 : 6;
        input.value = '';
        this.textContent = useRecovery ? '使用手机上的动态口令' : '手机不在身边？使用恢复码';
        input.focus();
      } }, '手机不在身边？使用恢复码')) : null);
    Z.onSubmit(form, function (v) {
      return Z.api('POST', '/api/staff/login/2fa', { code: v.code }, { noRedirect: true }).then(loggedIn);
    });
    return form;
  }

  function codeView() {
    Z.mount(view, h('section', { class: 'card login-box' }, h('h1', null, '两步验证'),
      h('p', { class: 'muted' }, '请输入手机身份验证器中显示的动态口令。'), codeForm(true)));
    document.getElementById('totp-code').focus();
  }

  function enrolView(res) {
    var secret = (res.secret || '').replace(/(.{4})/g, '$1 ').trim();
    Z.mount(view, h('section', { class: 'card login-box' }, h('h1', null, '设置两步验证'),
      h('p', null, '管理账号登录须同时验证手机上的动态口令。请用身份验证器（如腾讯身份验证器、Microsoft Authenticator、Google Authenticator）扫描二维码，或手动输入密钥，然后填写它显示的 6 位动态口令。'),
      h('img', { id: 'totp-qr', src: res.qr_data_url, alt: '动态口令二维码', width: 240, height: 240 }),
      h('p', null, '密钥：', h('code', { id: 'totp-secret' }, secret)),
      codeForm(false)));
    document.getElementById('totp-code').focus();
  }

  function recoveryCodesView(codes) {
    Z.mount(view, h('section', { class: 'card login-box' }, h('h1', null, '保存恢复码'),
      h('p', null, '手机丢失或无法使用时，可用下列恢复码代替动态口令登录，每个只能用一次。恢复码只显示这一次，请抄写或打印后妥善保管。'),
      h('ol', { id: 'recovery-codes' }, codes.map(function (c) { return h('li', null, h('code', null, c)); })),
      h('button', { type: 'button', class: 'block', id: 'recovery-saved', onclick: function () { location.assign('/staff/'); } }, '我已保存，进入工作台')));
  }

  // ---- 工作台 -------------------------------------------------------------
  function dashboardView() {
    var root = page('工作台');
    var stats = h('div', { class: 'stats', id: 'stats' });
    Z.mount(root, root.firstChild, stats, h('p', { class: 'muted' }, '数字每分钟刷新。超期指已超过答复期限仍未处理的申请。'));
    var cards = [
      ['pending-bindings', '待审核绑定', '/bindings?status=pending', '/staff/bindings?status=pending', null],
      ['pending-reviews', '待确认阅卷', '/reviews?status=pending', '/staff/reviews?status=pending', null],
      ['pending-meetings', '待处理会见', '/meetings?status=pending', '/staff/meetings?status=pending', null],
      ['pending-efiles', '待处理线上阅卷', '/efile-requests?status=pending', '/staff/efile-requests?status=pending', null],
      ['submitted-complaints', '待受理控告申诉', '/complaints?status=submitted', '/staff/complaints?status=submitted', null],
      ['overdue', '超期未处理', null, '/staff/reviews?status=pending', 'alert'],
      ['failed-pushes', '发送失败推送', '/pushes?status=failed', '/staff/pushes?status=failed', 'alert']
    ].filter(function (c) { return !c[2] || can('GET ' + c[2].split('?')[0]); });
    var overdueCard = cards.filter(function (c) { return c[0] === 'overdue'; })[0];
    var counts = {};
    cards.forEach(function (c) {
      var n = h('div', { class: 'n' }, h('span', { class: 'spinner' }));
      stats.appendChild(h('a', { class: 'stat', id: c[0], href: c[3] }, n, h('div', null, c[1])));
      counts[c[0]] = n;
    });
    // show puts a figure on its card: a count (alarm-coloured only when an
    // alert card is above zero), or 未知 with the reason when it could not
    // be counted — never a zero that is not known.
    function show(c, n, err) {
      var card = counts[c[0]].parentNode;
      card.classList.toggle('alert', !err && !!c[4] && n > 0);
      card.classList.toggle('unknown', !!err);
      Z.mount(counts[c[0]], err ? '未知' : String(n));
      Z.mount(card.lastChild, c[1], err ? h('div', { class: 'muted small', role: 'note' }, '未能统计：' + err.message) : null);
    }
    function refresh() {
      var overdueN = 0, overdueErr = null;
      var pending = cards.filter(function (c) { return c[2]; }).map(function (c) {
        // Queues come most urgent first: the overdue requests are on the first (largest) page.
        return get(c[2] + '&page_size=100').then(function (res) {
          var rows = items(res);
          show(c, res.total != null ? res.total : rows.length);
          overdueN += rows.filter(overdue).length;
        }, function (err) {
          show(c, 0, err);
          if (c[0] !== 'failed-pushes') overdueErr = overdueErr || err;
        });
      });
      Promise.all(pending).then(function () { show(overdueCard, overdueN, overdueErr); });
    }
    refresh();
    setInterval(refresh, 60000);
  }

  // ---- 队列 ---------------------------------------------------------------
  function bindingsView() {
    queue({
      title: '绑定审核', path: '/bindings', statuses: ['pending', 'approved', 'rejected', 'revoked', ''], tableId: 'bindings',
      emptyText: '没有符合条件的绑定申请',
      columns: [
        submittedColumn, caseColumn,
        ['身份', function (b) { return Z.roleLabels[b.role] || b.role; }],
        ['申请人', applicant],
        ['材料', function (b) {
          var m = b.materials || [];
          return m.length ? m.map(function (x) {
            return h('div', null, h('a', { href: '/api/staff/uploads/' + x.upload_id + '/file', target: '_blank', rel: 'noopener' }, x.file_name || '材料 ' + x.upload_id));
          }) : '—';
        }],
        ['状态', function (b) { return [Z.badge(b), b.reason ? h('div', { class: 'muted' }, b.reason) : null]; }]
      ],
      actions: function (b, reload) {
        if (b.status === 'approved' && can('POST /bindings/:id/revoke')) {
          return h('button', { type: 'button', class: 'small danger revoke', onclick: function () {
            reasonDialog('解除绑定', '/bindings/' + b.id + '/revoke', reload, '解除');
          } }, '解除绑定');
        }
        if (b.status !== 'pending' || !can('POST /bindings/:id/approve')) return null;
        return [
          h('button', { type: 'button', class: 'small approve', onclick: function () {
            Z.confirmDialog('通过绑定', '确认通过该绑定申请？通过后申请人将收到推送。', function () { return post('/bindings/' + b.id + '/approve').then(reload); }, '通过');
          } }, '通过'),
          h('button', { type: 'button', class: 'small danger reject', onclick: function () { reasonDialog('驳回绑定', '/bindings/' + b.id + '/reject', reload); } }, '驳回')
        ];
      }
    });
  }

  function reviewsView() {
    queue({
      title: '阅卷预约', path: '/reviews', statuses: ['pending', 'confirmed', 'rejected', 'cancelled', 'completed', 'no_show', ''],
      dateFilter: true, tableId: 'reviews', emptyText: '没有符合条件的阅卷预约',
      columns: [
        ['时段', function (r) { var s = r.slot || {}; return [(s.date || r.date || '') + ' ' + (Z.periodLabels[s.period || r.period] || ''), h('div', { class: 'muted' }, (s.room || {}).name || '')]; }],
        caseColumn,
        ['律师', applicant],
        ['方式', function (r) { return r.copy_method || '—'; }],
        ['答复期限', function (r) { return Z.fmtDateTime(r.reply_by); }],
        ['状态', statusCell]
      ],
      actions: function (r, reload) {
        var act = function (label, verb, cls) {
          return h('button', { type: 'button', class: 'small ' + cls, onclick: function () {
            Z.confirmDialog(label, '确定将该预约标记为「' + label + '」？', function () { return post('/reviews/' + r.id + '/' + verb).then(reload); }, label);
          } }, label);
        };
        if (!can('POST /reviews/:id/confirm')) return null;
        if (r.status === 'pending') {
          return [act('确认', 'confirm', 'confirm'),
            h('button', { type: 'button', class: 'small danger reject', onclick: function () { reasonDialog('驳回预约', '/reviews/' + r.id + '/reject', reload); } }, '驳回')];
        }
        if (r.status === 'confirmed') return [act('完成', 'complete', 'secondary'), act(Z.statusLabels.no_show, 'no-show', 'danger')];
        return null;
      }
    });
  }

  function meetingsView() {
    queue({
      title: '会见申请', path: '/meetings', statuses: ['pending', 'confirmed', 'rejected', 'cancelled', ''], tableId: 'meetings',
      emptyText: '没有符合条件的会见申请',
      columns: [
        submittedColumn, caseColumn,
        ['律师', applicant],
        ['事项', function (m) { return m.type; }],
        ['希望时间 / 安排', function (m) {
          if (m.time) return Z.fmtDateTime(m.time) + ' ' + (m.place || '');
          return (m.preferred_times || []).map(function (t) { return h('div', null, Z.fmtDateTime(t)); });
        }],
        ['事由', function (m) { return m.note || '—'; }],
        ['答复期限', function (m) { return Z.fmtDateTime(m.reply_by); }],
        ['状态', statusCell]
      ],
      actions: function (m, reload) {
        if (m.status !== 'pending') return null;
        var first = (m.preferred_times || [])[0];
        return [
          h('button', { type: 'button', class: 'small confirm', onclick: function () {
            Z.dialog('确认会见', function () {
              return [
                Z.field('时间', h('input', { type: 'datetime-local', name: 'time', id: 'meeting-time', value: first ? localInput(first) : '' })),
                Z.field('地点', h('input', { name: 'place', id: 'meeting-place', placeholder: '如：本院第二会见室' })),
                Z.field('非接待时间的原因', h('input', { name: 'outside_hours_reason', id: 'meeting-override', maxlength: 500 }),
                  '会见时间应在' + Z.vocab.meeting_hours + '；确需安排在其他时间的，请填写原因')
              ];
            }, function (v) {
              return post('/meetings/' + m.id + '/confirm', { time: Z.rfc3339(v.time), place: v.place, outside_hours_reason: v.outside_hours_reason }).then(reload);
            }, '确认');
          } }, '确认'),
          h('button', { type: 'button', class: 'small danger reject', onclick: function () { reasonDialog('驳回会见申请', '/meetings/' + m.id + '/reject', reload); } }, '驳回')
        ];
      }
    });
  }

  // efilesView is the online file review queue: the electronic file's PDFs
  // are uploaded while a request is pending or approved; approval fixes
  // the expiry and the downloads per file; the download log lists who
  // downloaded what, when and from where.
  function efilesView() {
    queue({
      title: '线上阅卷', path: '/efile-requests', statuses: ['pending', 'approved', 'rejected', 'expired', 'cancelled', ''], tableId: 'efiles',
      emptyText: '没有符合条件的线上阅卷申请',
      columns: [
        submittedColumn, caseColumn,
        ['律师', applicant],
        ['事由', function (r) { return r.note || '—'; }],
        ['电子卷宗', function (r) {
          return (r.files || []).length ? r.files.map(function (f) {
            return h('div', { class: 'efile-file' }, f.name, h('span', { class: 'muted' }, ' ' + f.pages + ' 页 · 已下载 ' + f.downloads + ' 次'));
          }) : h('span', { class: 'muted' }, '未上传');
        }],
        ['期限', function (r) {
          return r.expires_at ? ['下载截止 ' + Z.fmtDateTime(r.expires_at), h('div', { class: 'muted' }, '每个文件 ' + r.download_limit + ' 次')]
            : '答复 ' + Z.fmtDateTime(r.reply_by);
        }],
        ['状态', statusCell]
      ],
      actions: function (r, reload) {
        var out = [];
        if ((r.status === 'pending' || r.status === 'approved') && can('POST /efile-requests/:id/files')) {
          out.push(h('button', { type: 'button', class: 'small secondary upload-efile', onclick: function () { efileUpload(r, reload); } }, '上传卷宗'));
        }
        if (r.status === 'pending' && can('POST /efile-requests/:id/approve')) {
          out.push(h('button', { type: 'button', class: 'small approve', disabled: !(r.files || []).length,
            title: (r.files || []).length ? null : '请先上传电子卷宗', onclick: function () { efileApprove(r, reload); } }, '批准'));
          out.push(h('button', { type: 'button', class: 'small danger reject', onclick: function () { reasonDialog('驳回线上阅卷申请', '/efile-requests/' + r.id + '/reject', reload); } }, '驳回'));
        }
        if (r.status !== 'pending' && can('GET /efile-requests/:id/downloads')) {
          out.push(h('button', { type: 'button', class: 'small secondary downloads', onclick: function () { efileDownloads(r); } }, '下载记录'));
        }
        return out;
      }
    });
  }

  // ---- 控告申诉 -----------------------------------------------------------
  function complaintsView() {
    // A complaint may go to any unit, not only those of the scope: the
    // transfer picks from the public unit tree.
    var units = null;
    function unitTree() {
      units = units || Z.api('GET', '/api/public/units').then(function (res) { return items(res); });
      return units;
    }
    queue({
      title: '控告申诉', path: '/complaints', statuses: ['submitted', 'transferred', 'acknowledged', 'resolved', ''], tableId: 'complaints',
      emptyText: '没有符合条件的控告申诉',
      columns: [
        submittedColumn,
        ['类别', function (c) { return [c.category_label, c.case_id ? h('div', { class: 'muted' }, c.case_no + ' ' + c.case_name) : null]; }],
        ['申请人', function (c) { return c.complainant || '—'; }],
        ['内容', function (c) {
          return [h('div', { class: 'complaint-content' }, c.content),
            (c.attachments || []).map(function (a) {
              return h('div', null, h('a', { href: '/api/staff/complaints/' + c.id + '/attachments/' + a.id, target: '_blank', rel: 'noopener' }, a.file_name));
            }),
            h('details', null, h('summary', null, '办理经过'), Z.steps(c.steps))];
        }],
        ['期限', function (c) {
          return [h('div', null, '受理 ' + Z.fmtDateTime(c.acknowledge_by)), h('div', { class: 'muted' }, '答复 ' + Z.fmtDateTime(c.result_by))];
        }],
        ['状态', function (c) {
          return [Z.badge(c), c.acknowledge_overdue ? [' ', Z.badge('overdue', '超期未受理')] : null,
            c.result_overdue ? [' ', Z.badge('overdue', '超期未答复')] : null, c.result ? h('div', { class: 'muted' }, c.result) : null];
        }]
      ],
      actions: function (c, reload) {
        var out = [];
        if ((c.status === 'submitted' || c.status === 'transferred') && can('POST /complaints/:id/acknowledge')) {
          out.push(h('button', { type: 'button', class: 'small acknowledge', onclick: function () {
            Z.dialog('受理控告申诉', function () {
              return Z.field('说明（将告知申请人）', h('textarea', { name: 'note', id: 'complaint-note', maxlength: 2000 }));
            }, function (v) { return post('/complaints/' + c.id + '/acknowledge', { note: v.note }).then(reload); }, '确认受理');
          } }, '确认受理'));
        }
        if (c.status !== 'resolved' && can('POST /complaints/:id/transfer')) {
          out.push(h('button', { type: 'button', class: 'small secondary transfer', onclick: function () {
            unitTree().then(function (list) {
              Z.dialog('移送', function () {
                return [Z.field('移送至', h('select', { name: 'unit_code', id: 'transfer-unit' }, Z.unitOptions(list.filter(function (u) { return !c.unit || u.code !== c.unit.code; })))),
                  Z.field('说明（将告知申请人）', h('textarea', { name: 'note', id: 'transfer-note', maxlength: 2000 }))];
              }, function (v) { return post('/complaints/' + c.id + '/transfer', { unit_code: v.unit_code, note: v.note }).then(reload); }, '移送');
            });
          } }, '移送'));
        }
        if (c.status === 'acknowledged' && can('POST /complaints/:id/resolve')) {
          out.push(h('button', { type: 'button', class: 'small resolve', onclick: function () {
            Z.dialog('答复办理结果', function () {
              return Z.field('办理结果（将告知申请人）', h('textarea', { name: 'result', id: 'complaint-result', required: true, maxlength: 2000 }));
            }, function (v) { return post('/complaints/' + c.id + '/resolve', { result: v.result }).then(reload); }, '答复');
          } }, '答复'));
        }
        return out;
      }
    });
  }

  function efileUpload(r, reload) {
    var input = h('input', { type: 'file', name: 'file', id: 'efile-file', accept: 'application/pdf', required: true });
    Z.dialog('上传电子卷宗', function () {
      return Z.field('PDF 文件（不超过 200 MB，不加密码）', input);
    }, function () {
      var fd = new FormData();
      if (input.files[0]) fd.append('file', input.files[0]);
      return Z.api('POST', '/api/staff/efile-requests/' + r.id + '/files', fd).then(reload);
    }, '上传');
  }

  function efileApprove(r, reload) {
    Z.dialog('批准线上阅卷', function () {
      return [
        Z.field('下载期限（天）', h('input', { type: 'number', name: 'expires_days', id: 'efile-days', min: 1, max: 90, value: 15 })),
        Z.field('每个文件可下载次数', h('input', { type: 'number', name: 'download_limit', id: 'efile-limit', min: 1, max: 20, value: 3 }),
          '每次下载都是带有律师姓名、执业证号、时间和申请编号水印的加密副本')
      ];
    }, function (v) {
      return post('/efile-requests/' + r.id + '/approve', { expires_days: Number(v.expires_days), download_limit: Number(v.download_limit) }).then(reload);
    }, '批准');
  }

  function efileDownloads(r) {
    Z.dialog('下载记录', function () {
      var box = h('div', { id: 'efile-downloads-box' });
      Z.load(box, function () { return get('/efile-requests/' + r.id + '/downloads?page_size=100'); }, function (res) {
        var rows = items(res);
        return rows.length ? table([
          ['时间', function (d) { return Z.fmtDateTime(d.at); }],
          ['文件', function (d) { return d.file_name; }],
          ['律师', function (d) { return d.lawyer; }],
          ['地址', function (d) { return d.ip; }]
        ], rows, 'efile-downloads') : Z.empty('尚无下载');
      });
      return box;
    }, function () {}, '关闭');
  }

  // ---- 评价 ---------------------------------------------------------------
  function ratingsView() {
    var root = page('评价');
    var box = h('div', { id: 'ratings-box' });
    Z.mount(root, root.firstChild, box);
    var pageNo = 1;
    function reload() {
      Z.load(box, function () { return get('/ratings' + (pageNo > 1 ? '?page=' + pageNo : '')); }, function (res) {
        var rows = items(res);
        if (!rows.length) return Z.empty('暂无评价');
        return [table([
          ['时间', function (r) { return Z.fmtDateTime(r.created_at); }],
          ['事项', function (r) { return r.kind_label + ' #' + r.request_id; }],
          ['单位', function (r) { return r.unit ? r.unit.name : '—'; }],
          ['评价人', function (r) { return r.rater || '—'; }],
          ['星级', function (r) { return h('span', { class: 'stars', 'aria-label': r.stars + ' 星' }, new Array(r.stars + 1).join('★')); }],
          ['标签', function (r) { return (r.tags || []).join('、') || '—'; }],
          ['留言', function (r) { return r.comment || '—'; }]
        ], rows, 'ratings'), pager(res, function (n) { pageNo = n; reload(); })];
      });
    }
    reload();
  }

  // localInput formats a time for a datetime-local input.
  function localInput(v) {
    var d = new Date(v);
    return Z.isoDay(d) + 'T' + Z.pad(d.getHours()) + ':' + Z.pad(d.getMinutes());
  }

  // ---- 案件 ---------------------------------------------------------------
  // caseFields are the editable fields of service.CaseInput; PUT replaces
  // the case, so the editor sends all of them.
  var caseFields = [
    ['case_no', '部门受案号'], ['name', '案件名称'], ['type', '案件类别'], ['cause', '案由'], ['unit_code', '所属院（单位代码）'], ['unit', '承办部门'],
    ['prosecutor', '承办检察官'], ['stage', '当前阶段', 'select', 'stages'], ['measure', '强制措施', 'select', 'measures', '无'], ['result', '处理结果'],
    ['accepted_at', '受理日期', 'date'], ['deadline', '办案期限', 'date'], ['summary', '重要案件信息（公开）', 'textarea'],
    ['public_title', '公开标题'],
    ['important', '作为重要案件信息向社会公开', 'checkbox']
  ];

  // choices are the options of a vocabulary select; none (when given) is
  // the empty choice, and a stored value outside the vocabulary stays
  // selectable so that saving does not silently change it.
  function choices(list, selected, none) {
    var values = (none !== undefined ? [''] : []).concat(list || []);
    if (selected && values.indexOf(selected) < 0) values.push(selected);
    return values.map(function (v) { return h('option', { value: v, selected: v === (selected || '') }, v || none); });
  }

  function caseInputs(c) {
    return caseFields.map(function (f) {
      // The API sends the 承办部门 text as department; "unit" is the case's 院.
      var v = f[0] === 'unit_code' ? (c.unit && c.unit.code) : f[0] === 'unit' ? c.department : c[f[0]];
      var id = 'case-' + f[0];
      if (f[2] === 'checkbox') {
        return h('div', { class: 'field' }, h('label', null, h('input', { type: 'checkbox', name: f[0], id: id, value: 'true', checked: !!v }), ' ' + f[1]));
      }
      if (f[2] === 'textarea') return Z.field(f[1], h('textarea', { name: f[0], id: id, maxlength: 2000 }, v || ''));
      if (f[2] === 'select') return Z.field(f[1], h('select', { name: f[0], id: id }, choices(Z.vocab[f[3]], v, f[4])));
      if (f[2] === 'date' && v) v = Z.fmtDate(v);
      // Published titles never name the parties: say what will be shown.
      var hint = f[0] === 'public_title' ? '留空则隐去当事人姓名' + (c.published_title ? '，将公开为：' + c.published_title : '') : null;
      return Z.field(f[1], h('input', { name: f[0], id: id, type: f[2] || 'text', value: v || '' }), hint);
    });
  }

  // caseBody turns the form's values into service.CaseInput.
  function caseBody(v, c) {
    v.important = v.important === 'true';
    if (c && c.prosecutor_id) v.prosecutor_id = c.prosecutor_id;
    return v;
  }

  function casesView() {
    var root = page('案件管理');
    var search = h('form', { class: 'toolbar' },
      h('div', { class: 'field' }, h('label', { for: 'q' }, '受案号/名称'), h('input', { name: 'q', id: 'q', value: Z.param('q') || '' })),
      (me() || {}).role === 'prosecutor' ? h('div', { class: 'field' }, h('label', { for: 'case-scope' }, '范围'),
        h('select', { name: 'scope', id: 'case-scope' }, h('option', { value: 'mine' }, '我承办的'), h('option', { value: 'unit' }, '本院及下级全部'))) : null,
      h('button', { type: 'submit', class: 'secondary' }, '查询'),
      can('POST /cases') ? h('button', { type: 'button', id: 'new-case', onclick: newCase }, '新建案件') : null);
    var box = h('div', { id: 'case-list' });
    Z.mount(root, root.firstChild, search, box);
    function reload(pageNo) {
      var v = Z.values(search);
      var q = withPage(new URLSearchParams({ scope: v.scope || 'mine' }), pageNo);
      if (v.q) q.set('q', v.q);
      Z.load(box, function () { return get('/cases?' + q); }, function (res) {
        var rows = items(res);
        if (!rows.length) return Z.empty('没有案件');
        return [table([
          ['受案号', function (c) { return h('a', { href: '/staff/cases/' + c.id }, c.case_no); }],
          ['名称', function (c) { return c.name; }],
          ['阶段', function (c) { return c.stage; }],
          ['承办', function (c) { return [c.unit && c.unit.name, c.department, c.prosecutor].filter(Boolean).join(' · '); }],
          ['期限', function (c) { return Z.fmtDate(c.deadline) || '—'; }]
        ], rows, 'cases'), pager(res, reload)];
      });
    }
    search.addEventListener('submit', function (ev) { ev.preventDefault(); reload(1); });
    reload(1);
  }

  function newCase() {
    Z.dialog('新建案件', function () { return h('div', { class: 'form-grid' }, caseInputs({})); }, function (v) {
      return Z.api('POST', '/api/staff/cases', caseBody(v)).then(function (c) { location.assign('/staff/cases/' + c.id); });
    }, '保存');
  }

  function caseEditView(p) {
    var root = page('案件详情');
    var box = h('div');
    Z.mount(root, root.firstChild, box);
    Z.load(box, function () { return Promise.all([get('/cases/' + p.id), get('/cases/' + p.id + '/documents').catch(function () { return null; })]); }, function (res) {
      var c = res[0];
      var events = c.timeline || c.events || [];
      var docs = res[1] ? items(res[1]) : (c.documents || []);
      var editable = can('PUT /cases/:id');
      var form = h('form', { id: 'case-form', novalidate: true }, h('fieldset', { disabled: !editable }, h('div', { class: 'form-grid' }, caseInputs(c))),
        editable ? h('button', { type: 'submit' }, '保存') : null);
      Z.onSubmit(form, function (v) {
        return Z.api('PUT', '/api/staff/cases/' + p.id, caseBody(v, c)).then(function () {
          form.insertBefore(h('div', { class: 'form-ok', role: 'status' }, '已保存'), form.firstChild);
        });
      });
      var eventForm = h('form', { id: 'event-form', novalidate: true },
        Z.field('阶段', h('select', { name: 'stage', id: 'event-stage' }, choices(Z.vocab.stages, c.stage))),
        Z.field('公开说明', h('textarea', { name: 'description', id: 'event-description', maxlength: 1000 })),
        Z.field('发生时间', h('input', { type: 'datetime-local', name: 'occurred_at', id: 'event-time', value: localInput(new Date()) })),
        h('button', { type: 'submit' }, '记录进程并推送'));
      // Recording pushes to every follower of the case: ask first, naming
      // how many the server will notify.
      Z.onSubmit(eventForm, function (v) {
        return get('/cases/' + p.id + '/event-recipients').then(function (res) {
          var text = res.count ? '记录后将向 ' + res.count + ' 位已绑定本案的律师、当事人推送「' + v.stage + '」。确定记录？' : '本案目前没有已绑定的律师或当事人，记录后不会推送。确定记录？';
          Z.confirmDialog('记录进程', text, function () {
            return post('/cases/' + p.id + '/events', { stage: v.stage, description: v.description, occurred_at: Z.rfc3339(v.occurred_at) }).then(function () { caseEditView(p); });
          }, res.count ? '记录并推送' : '记录');
        });
      });
      var docForm = h('form', { id: 'doc-form', novalidate: true },
        Z.field('文书标题', h('input', { name: 'title', id: 'doc-title' })),
        Z.field('文号', h('input', { name: 'doc_no', id: 'doc-no' })),
        Z.field('类型', h('input', { name: 'type', id: 'doc-type', placeholder: '如：起诉书' })),
        h('div', { class: 'field' }, h('label', null, h('input', { type: 'checkbox', name: 'public', value: 'true' }), ' 向社会公开')),
        Z.field('文件', h('input', { type: 'file', name: 'file', id: 'doc-file', accept: 'application/pdf,image/*' })),
        h('button', { type: 'submit' }, '上传并发布'));
      Z.onSubmit(docForm, function (v) {
        var fd = new FormData();
        ['title', 'doc_no', 'type'].forEach(function (k) { fd.append(k, v[k] || ''); });
        fd.append('public', v.public ? 'true' : 'false');
        var f = docForm.querySelector('[name=file]').files[0];
        if (f) fd.append('file', f);
        return Z.api('POST', '/api/staff/cases/' + p.id + '/documents', fd).then(function () { caseEditView(p); });
      });
      return [
        h('section', { class: 'card' }, h('h2', null, c.case_no + ' ' + c.name), form),
        can('GET /cases/:id/parties') ? partiesSection(p.id) : null,
        h('section', { class: 'card' }, h('h2', null, '案件进程'),
          events.length ? h('ul', { class: 'timeline', id: 'timeline' }, events.map(function (e) {
            return h('li', { dataset: { id: e.id } }, h('b', null, e.stage), ' ', h('small', null, Z.fmtDateTime(e.occurred_at) + ' · ' + Z.label('event_sources', e.source)),
              h('div', null, e.description), eventActions(p, e));
          })) : Z.empty('暂无进程'), can('POST /cases/:id/events') ? [h('h3', null, '记录新进程'), eventForm] : null),
        h('section', { class: 'card' }, h('h2', null, '法律文书'),
          docs.length ? table([
            ['标题', function (d) { return d.title; }], ['文号', function (d) { return d.doc_no || '—'; }],
            ['发布', function (d) { return Z.fmtDate(d.published_at); }], ['公开', function (d) { return d.public ? '是' : '否'; }],
            ['操作', function (d) {
              return can('POST /cases/:id/documents/:doc_id/withdraw') ? h('button', { type: 'button', class: 'small danger withdraw', onclick: function () {
                Z.confirmDialog('撤回文书', '撤回后律师、当事人和公众将不再看到「' + d.title + '」。确定撤回？', function () {
                  return post('/cases/' + p.id + '/documents/' + d.id + '/withdraw').then(function () { caseEditView(p); });
                }, '撤回', { danger: true });
              } }, '撤回') : null;
            }]
          ], docs, 'documents') : Z.empty('暂无文书'), can('POST /cases/:id/documents') ? [h('h3', null, '发布文书'), docForm] : null)
      ];
    });
  }

  // eventActions correct or delete a timeline event; a correction is
  // pushed to the case's followers only when staff tick 通知.
  function eventActions(p, e) {
    var path = '/cases/' + p.id + '/events/' + e.id;
    return h('div', { class: 'actions' },
      can('PUT /cases/:id/events/:event_id') ? h('button', { type: 'button', class: 'small secondary correct', onclick: function () {
        Z.dialog('更正进程', function () {
          return [
            Z.field('阶段', h('select', { name: 'stage', id: 'correct-stage' }, choices(Z.vocab.stages, e.stage))),
            Z.field('公开说明', h('textarea', { name: 'description', id: 'correct-description', maxlength: 1000 }, e.description || '')),
            Z.field('发生时间', h('input', { type: 'datetime-local', name: 'occurred_at', id: 'correct-time', value: localInput(e.occurred_at) })),
            h('div', { class: 'field' }, h('label', null, h('input', { type: 'checkbox', name: 'notify', id: 'correct-notify', value: 'true' }), ' 向已绑定的律师、当事人推送更正通知'))
          ];
        }, function (v) {
          return Z.api('PUT', '/api/staff' + path, { stage: v.stage, description: v.description, occurred_at: Z.rfc3339(v.occurred_at), notify: v.notify === 'true' })
            .then(function () { caseEditView(p); });
        }, '保存更正');
      } }, '更正') : null,
      can('DELETE /cases/:id/events/:event_id') ? h('button', { type: 'button', class: 'small danger delete-event', onclick: function () {
        Z.confirmDialog('删除进程', '删除「' + e.stage + '」这条进程记录？删除会记入审计日志，不会推送。', function () {
          return Z.api('DELETE', '/api/staff' + path).then(function () { caseEditView(p); });
        }, '删除', { danger: true });
      } }, '删除') : null);
  }

  // partiesSection is the case's party list (当事人), against which parties'
  // binding requests are matched; id numbers are shown masked only.
  function partiesSection(caseID) {
    var box = h('div', { id: 'parties' });
    var form = h('form', { id: 'party-form', class: 'toolbar', novalidate: true },
      Z.field('姓名', h('input', { name: 'name', id: 'new-party-name' })),
      Z.field('身份', h('select', { name: 'role', id: 'new-party-role' }, choices(Z.vocab.party_roles))),
      Z.field('身份证号', h('input', { name: 'id_number', id: 'new-party-id', maxlength: 18, autocomplete: 'off' })),
      h('button', { type: 'submit' }, '添加当事人'));
    function reload() {
      Z.load(box, function () { return get('/cases/' + caseID + '/parties'); }, function (res) {
        var rows = items(res);
        if (!rows.length) return Z.empty('当事人名单为空：当事人将无法绑定本案');
        return table([
          ['姓名', function (x) { return x.name; }], ['身份', function (x) { return x.role; }],
          ['身份证号', function (x) { return x.id_number_masked; }],
          ['操作', function (x) {
            return h('button', { type: 'button', class: 'small danger', onclick: function () {
              Z.confirmDialog('移除当事人', '确定从名单中移除 ' + x.name + '？', function () {
                return Z.api('DELETE', '/api/staff/cases/' + caseID + '/parties/' + x.id).then(reload);
              }, '移除');
            } }, '移除');
          }]
        ], rows, 'party-table');
      });
    }
    Z.onSubmit(form, function (v) {
      return post('/cases/' + caseID + '/parties', v).then(function () { form.reset(); reload(); });
    });
    reload();
    return h('section', { class: 'card' }, h('h2', null, '当事人名单'), box, form);
  }

  // ---- 阅卷日历 -----------------------------------------------------------
  var slotDays = 28;

  function slotsView() {
    var root = page('阅卷日历');
    var from = new Date(), to = new Date();
    to.setDate(to.getDate() + slotDays);
    // Slots belong to a reading room of a unit in scope: the forms pick one.
    var rooms = [];
    var roomSelects = [];
    var room = function (id) {
      var sel = h('select', { name: 'room_id', id: id });
      roomSelects.push(sel);
      return Z.field('阅卷室', sel);
    };
    function fillRooms() {
      return get('/rooms').then(function (res) {
        rooms = items(res);
        var units = {};
        rooms.forEach(function (r) { units[r.unit.code] = true; });
        var many = Object.keys(units).length > 1;
        roomSelects.forEach(function (sel) {
          var keep = sel.value;
          sel.replaceChildren.apply(sel, rooms.length ? rooms.map(function (r) {
            return h('option', { value: String(r.id) }, (many ? r.unit.name + ' · ' : '') + r.name);
          }) : [h('option', { value: '' }, '请先新增阅卷室')]);
          if (keep) sel.value = keep;
        });
      });
    }
    var newRoom = h('form', { id: 'room-form', class: 'card', novalidate: true },
      h('h2', null, '新增阅卷室'),
      h('div', { class: 'toolbar' },
        unitField('room-unit'),
        Z.field('名称', h('input', { name: 'name', id: 'room-name', placeholder: '第一阅卷室' })),
        Z.field('地址', h('input', { name: 'address', id: 'room-address', placeholder: '可留空，默认本院地址' })),
        h('button', { type: 'submit' }, '新增')));
    var capacity = function (id) { return Z.field('名额', h('input', { type: 'number', name: 'capacity', id: id, value: '3', min: '1', max: '50', class: 'narrow' })); };
    var one = h('form', { id: 'slot-form', class: 'card', novalidate: true },
      h('h2', null, '开放一个时段'),
      h('div', { class: 'toolbar' },
        Z.field('日期', h('input', { type: 'date', name: 'date', id: 'slot-date', value: Z.isoDay(from) })),
        Z.field('时段', h('select', { name: 'period', id: 'slot-period' }, ['am', 'pm'].map(function (p) { return h('option', { value: p }, Z.periodLabels[p]); }))),
        room('slot-room'), capacity('slot-capacity'),
        h('button', { type: 'submit' }, '添加')));
    var bulk = h('form', { id: 'slot-bulk-form', class: 'card', novalidate: true },
      h('h2', null, '批量开放（跳过节假日）'),
      h('div', { class: 'toolbar' },
        Z.field('从', h('input', { type: 'date', name: 'from', id: 'bulk-from', value: Z.isoDay(from) })),
        Z.field('到', h('input', { type: 'date', name: 'to', id: 'bulk-to', value: Z.isoDay(to) })),
        room('bulk-room'), capacity('bulk-capacity'),
        h('button', { type: 'submit' }, '批量添加上午和下午')));
    var box = h('div', { id: 'slots' });
    var open = can('POST /review-slots');
    Z.mount(root, root.firstChild, open ? one : null, open ? bulk : null, can('POST /rooms') ? newRoom : null, box);
    function reload() {
      Z.load(box, function () { return get('/review-slots?from=' + Z.isoDay(from) + '&to=' + Z.isoDay(to)); }, function (res) {
        var rows = items(res);
        if (!rows.length) return Z.empty('未来 ' + slotDays + ' 天还没有开放阅卷时段');
        return weekGrid(from, to, rows, function (day) {
          one.querySelector('[name=date]').value = day;
          one.querySelector('[name=room_id]').focus();
        }, reload);
      });
    }
    Z.onSubmit(one, function (v) {
      return post('/review-slots', { date: v.date, period: v.period, room_id: Number(v.room_id) || 0, capacity: Number(v.capacity) || 0 }).then(reload);
    });
    Z.onSubmit(bulk, function (v) {
      return post('/review-slots/bulk', { from: v.from, to: v.to, periods: ['am', 'pm'], room_id: Number(v.room_id) || 0, capacity: Number(v.capacity) || 0 }).then(function (res) {
        reload();
        bulk.insertBefore(h('div', { class: 'form-ok', role: 'status' }, '新增 ' + items(res).length + ' 个时段' + (res.existing ? '，' + res.existing + ' 个已存在' : '')), bulk.firstChild);
      });
    });
    Z.onSubmit(newRoom, function (v) {
      return post('/rooms', { unit_code: v.unit_code || '', name: v.name, address: v.address }).then(function (r) {
        newRoom.querySelector('[name=name]').value = '';
        newRoom.querySelector('[name=address]').value = '';
        return fillRooms().then(function () { roomSelects.forEach(function (sel) { sel.value = String(r.id); }); });
      });
    });
    fillRooms();
    reload();
  }

  // weekGrid lays the slots out as a calendar, a row per week from Monday;
  // tapping a day puts it into the single-slot form.
  function weekGrid(from, to, slots, pickDay, reload) {
    var byDay = {};
    slots.forEach(function (s) { (byDay[s.date] = byDay[s.date] || []).push(s); });
    var day = new Date(from.getFullYear(), from.getMonth(), from.getDate());
    day.setDate(day.getDate() - (day.getDay() + 6) % 7);
    var cells = Z.weekdays.slice(1).concat(Z.weekdays[0]).map(function (w) { return h('div', { class: 'week-head' }, w); });
    for (; day <= to || day.getDay() !== 1; day.setDate(day.getDate() + 1)) {
      var iso = Z.isoDay(day);
      var past = day < new Date(from.getFullYear(), from.getMonth(), from.getDate());
      cells.push(h('div', { class: 'week-day' + (past ? ' past' : ''), dataset: { date: iso } },
        h('button', { type: 'button', class: 'week-date', disabled: past, onclick: pickDay.bind(null, iso) }, iso.slice(5)),
        (byDay[iso] || []).sort(function (a, b) { return (a.period + a.room.name).localeCompare(b.period + b.room.name); }).map(function (s) {
          return h('div', { class: 'week-slot' + (s.closed ? ' closed' : s.booked >= s.capacity ? ' full' : '') },
            h('span', null, (Z.periodLabels[s.period] || s.period) + ' ' + s.room.name),
            h('span', null, s.closed ? '已关闭' : s.booked + '/' + s.capacity),
            s.closed || !can('POST /review-slots/:id/close') ? null : h('button', { type: 'button', class: 'link', title: '关闭该时段', 'aria-label': '关闭该时段', onclick: function () {
              Z.confirmDialog('关闭时段', s.date + ' ' + (Z.periodLabels[s.period] || '') + ' ' + s.room.name + '：关闭后律师不能再预约，已有预约不受影响。确定关闭？',
                function () { return post('/review-slots/' + s.id + '/close').then(reload); }, '关闭');
            } }, '×'));
        })));
    }
    return h('div', { class: 'week-grid', id: 'slot-calendar' }, cells);
  }

  // ---- 推送 ---------------------------------------------------------------
  function pushesView() {
    queue({
      title: '推送消息', path: '/pushes', statuses: ['failed', 'unreachable', 'queued', 'sending', 'sent', 'delivered', ''], tableId: 'pushes',
      emptyText: '没有符合条件的推送',
      summary: quotaLine,
      columns: [
        ['创建时间', function (m) { return Z.fmtDateTime(m.created_at); }],
        ['推送原因', function (m) { return Z.label('push_kinds', m.kind); }],
        ['渠道', function (m) { return Z.label('push_channels', m.channel); }],
        ['接收人', function (m) { return m.recipient || '—'; }],
        ['事由', function (m) { return m.cause_label || '—'; }],
        ['尝试次数', function (m) { return String(m.attempts); }],
        ['失败原因', function (m) { return m.error_label ? h('span', { title: m.last_error }, m.error_label) : '—'; }],
        ['状态', function (m) { return Z.badge(m); }]
      ],
      actions: function (m, reload) {
        if ((m.status !== 'failed' && m.status !== 'unreachable') || !can('POST /pushes/:id/retry')) return null;
        return h('button', { type: 'button', class: 'small retry', onclick: function () {
          post('/pushes/' + m.id + '/retry').then(reload, function (err) { alertError(err); });
        } }, '重新发送');
      }
    });
  }

  // quotaLine is the day's template quota for admins: count, forecast and
  // what waits for the next day.
  function quotaLine() {
    if (!can('GET /pushes/quota')) return null;
    var line = h('p', { class: 'muted', id: 'push-quota' });
    get('/pushes/quota').then(function (q) {
      var held = Object.keys(q.held_by_kind).map(function (k) { return Z.label('push_kinds', k) + ' ' + q.held_by_kind[k]; }).join('、');
      Z.mount(line, '今日（' + q.day + '）模板消息：已发送 ' + q.sent + ' / 额度 ' + q.daily + '，剩余 ' + q.remaining +
        '，预计全天 ' + q.forecast + '；暂缓至次日 ' + q.held + ' 条' + (held ? '（' + held + '）' : '') +
        (q.holding.length ? '；当前暂缓：' + q.holding.map(function (k) { return Z.label('push_kinds', k); }).join('、') : '') +
        (q.paused_until ? '；平台额度已用尽，暂停至 ' + Z.fmtDateTime(q.paused_until) : ''));
    }, function (err) { Z.mount(line, '额度信息暂不可用：' + err.message); });
    return line;
  }

  function alertError(err) {
    if (!err.redirecting) Z.dialog('操作失败', function () { return h('p', null, err.message); }, function () {}, '知道了');
  }

  // ---- 审计日志（管理员） -------------------------------------------------
  function auditView() {
    var root = page('审计日志');
    var filters = h('form', { class: 'toolbar', id: 'audit-filters', novalidate: true },
      Z.field('操作人', h('input', { name: 'actor', id: 'audit-actor', value: Z.param('actor') || '' })),
      Z.field('动作', h('select', { name: 'action', id: 'audit-action' }, h('option', { value: '' }, '全部'),
        Object.keys(Z.vocab.audit_actions).sort().map(function (a) {
          return h('option', { value: a, selected: a === Z.param('action') }, Z.vocab.audit_actions[a]);
        }))),
      Z.field('对象', h('input', { name: 'target', id: 'audit-target', value: Z.param('target') || '' })),
      Z.field('从', h('input', { type: 'date', name: 'from', id: 'audit-from', value: Z.param('from') || '' })),
      Z.field('到', h('input', { type: 'date', name: 'to', id: 'audit-to', value: Z.param('to') || '' })),
      h('button', { type: 'submit', class: 'secondary' }, '查询'));
    var box = h('div', { id: 'audit' });
    Z.mount(root, root.firstChild, filters, box);
    function show(pageNo) {
      var q = new URLSearchParams(Z.values(filters));
      Array.from(q.keys()).forEach(function (k) { if (!q.get(k)) q.delete(k); });
      withPage(q, pageNo);
      history.replaceState(null, '', location.pathname + (q.toString() ? '?' + q : ''));
      Z.load(box, function () { return get('/audit' + (q.toString() ? '?' + q : '')); }, function (res) {
        var rows = items(res);
        if (!rows.length) return Z.empty('没有符合条件的审计记录');
        return [table([
          ['时间', function (a) { return Z.fmtDateTime(a.at); }], ['操作人', function (a) { return a.actor; }],
          ['动作', function (a) { return Z.label('audit_actions', a.action); }], ['对象', function (a) { return targetLabel(a.target); }],
          ['IP', function (a) { return a.ip; }], ['详情', function (a) { return a.detail || ''; }]
        ], rows, 'audit-table'), pager(res, show)];
      });
    }
    Z.onSubmit(filters, function () { show(1); });
    show(Number(Z.param('page')) || 1);
  }

  // targetLabel puts an audit target in words: "case:1" → "案件 #1".
  var targetKinds = { case: '案件', binding: '绑定申请', review: '阅卷预约', meeting: '会见申请', staff: '用户', slot: '阅卷时段', push: '推送', upload: '材料', room: '阅卷室', document: '文书' };
  function targetLabel(t) {
    var m = /^([a-z]+):(\d+)$/.exec(t || '');
    return m && targetKinds[m[1]] ? targetKinds[m[1]] + ' #' + m[2] : (t || '');
  }

  // ---- 统计与通报 ---------------------------------------------------------
  // unitPicker is a select of the units in scope (parents before children),
  // the current choice kept in the address as ?unit=.
  function unitPicker(units, selected) {
    return h('select', { name: 'unit', id: 'stats-unit' }, units.map(function (u) {
      return h('option', { value: u.code, selected: u.code === selected }, u.name);
    }));
  }
  function monthStart() { var d = new Date(); return Z.isoDay(new Date(d.getFullYear(), d.getMonth(), 1)); }
  function figureValue(v, f) {
    if (v === null || v === undefined) return '—';
    return f && f.hours ? String(v) + ' 小时' : String(v);
  }
  // headline figures of the 统计 page's tiles.
  var headline = ['cases_accepted', 'events_recorded', 'documents_published', 'bindings_received',
    'bindings_overdue_open', 'reviews_overdue_open', 'meetings_overdue_open', 'pushes_sent'];

  function statsView() {
    var root = page('统计');
    Z.load(root.appendChild(h('div')), function () { return get('/units'); }, function (res) {
      var units = items(res);
      var form = h('form', { class: 'toolbar no-print', id: 'stats-filters', novalidate: true },
        Z.field('单位', unitPicker(units, Z.param('unit') || (units[0] && units[0].code))),
        Z.field('从', h('input', { type: 'date', name: 'from', id: 'stats-from', value: Z.param('from') || monthStart() })),
        Z.field('到', h('input', { type: 'date', name: 'to', id: 'stats-to', value: Z.param('to') || Z.isoDay(new Date()) })),
        Z.field('含下级单位', h('input', { type: 'checkbox', name: 'rollup', id: 'stats-rollup', value: 'true', checked: Z.param('rollup') !== 'false' })),
        h('button', { type: 'submit', class: 'secondary' }, '统计'));
      var box = h('div', { id: 'stats' });
      function show() {
        var v = Z.values(form);
        var q = new URLSearchParams({ unit: v.unit, from: v.from, to: v.to, rollup: v.rollup ? 'true' : 'false' });
        history.replaceState(null, '', location.pathname + '?' + q);
        Z.load(box, function () { return get('/stats?' + q); }, function (st) {
          var figs = Z.vocab.stat_figures || [];
          var byName = {};
          figs.forEach(function (f) { byName[f.name] = f; });
          var tiles = h('div', { class: 'stats', id: 'stats-tiles' }, headline.map(function (name) {
            return h('div', { class: 'stat', id: 'tile-' + name }, h('div', { class: 'n' }, figureValue(st.figures[name], byName[name])),
              h('div', null, (byName[name] || {}).label || name));
          }));
          var charts = h('div', { class: 'charts' },
            h('img', { id: 'chart-trend', alt: st.unit.name + '近十二个月统计图', src: '/api/staff/stats/trend.svg?unit=' + encodeURIComponent(st.unit.code) }),
            st.children.length ? h('img', { id: 'chart-children', alt: '下级单位对比图', src: '/api/staff/stats/children.svg?' + q }) : null);
          var rows = [{ unit: st.unit, figures: st.figures }].concat(st.children);
          var cols = [['单位', function (r) { return r.unit.name; }]].concat(figs.map(function (f) {
            return [f.label, function (r) { return figureValue(r.figures[f.name], f); }];
          }));
          var exports = h('p', { class: 'actions no-print' },
            h('a', { class: 'btn secondary', id: 'stats-xlsx', href: '/api/staff/stats.xlsx?' + q }, '导出 Excel'),
            h('a', { class: 'btn secondary', id: 'stats-csv', href: '/api/staff/stats.csv?' + q }, '导出 CSV'));
          return [h('h2', null, st.unit.name + '（' + st.from + ' 至 ' + st.to + '）'), tiles, charts, exports,
            table(cols, rows, 'stats-table')];
        });
      }
      Z.onSubmit(form, function () { show(); return Promise.resolve(); });
      show();
      return [form, box];
    });
  }

  function pct(r) { return r === null || r === undefined ? '—' : (r * 100).toFixed(1) + '%'; }
  function num(n) { return n === null || n === undefined ? '—' : String(n); }

  function reportsView() {
    var root = page('通报');
    Z.load(root.appendChild(h('div')), function () { return get('/units'); }, function (res) {
      var units = items(res);
      var d = new Date();
      var lastMonth = new Date(d.getFullYear(), d.getMonth() - 1, 1);
      var form = h('form', { class: 'toolbar no-print', id: 'report-filters', novalidate: true },
        Z.field('单位', unitPicker(units, Z.param('unit') || (units[0] && units[0].code))),
        Z.field('月份', h('input', { type: 'month', name: 'month', id: 'report-month', value: Z.param('month') || Z.isoDay(lastMonth).slice(0, 7) })),
        h('button', { type: 'submit', class: 'secondary' }, '查看'));
      var box = h('div', { id: 'report' });
      function show() {
        var v = Z.values(form);
        var q = new URLSearchParams({ unit: v.unit, month: v.month });
        history.replaceState(null, '', location.pathname + '?' + q);
        Z.load(box, function () { return get('/reports/monthly?' + q); }, function (rep) {
          var below = rep.rows.filter(function (r) { return r.below_threshold; });
          var cols = [
            ['单位', function (r) { return r.unit.name; }], ['负责人', function (r) { return r.unit.head || '—'; }],
            ['计划公开文书', function (r) { return num(r.planned.documents); }], ['实际公开文书', function (r) { return num(r.actual.documents); }],
            ['完成率', function (r) { return h('span', { class: r.below_threshold ? 'below' : null }, pct(r.completion_rate)); }],
            ['计划公开信息', function (r) { return num(r.planned.events); }], ['实际公开信息', function (r) { return num(r.actual.events); }],
            ['信息完成率', function (r) { return pct(r.events_rate); }], ['按期答复率', function (r) { return pct(r.on_time_rate); }],
            ['超期未答复', function (r) { return String(r.overdue_open); }]
          ];
          return [
            h('h1', { class: 'report-title', id: 'report-title' }, rep.title),
            h('p', { class: 'muted' }, rep.frozen ? '本月通报已于 ' + Z.fmtDateTime(rep.frozen_at) + ' 定稿。' : '本月尚未结束，数据为截至目前的统计。',
              ' 通报线：完成率 ' + pct(rep.threshold) + '。'),
            table(cols, rep.rows, 'report-table'),
            below.length ? h('p', { id: 'report-below' }, '完成率低于通报线的单位：' + below.map(function (r) {
              return r.unit.name + (r.unit.head ? '（负责人：' + r.unit.head + '）' : '');
            }).join('；') + '。') : h('p', { id: 'report-below' }, '各单位完成率均达到通报线。'),
            h('p', { class: 'actions no-print' },
              h('button', { type: 'button', class: 'secondary', id: 'report-print', onclick: function () { window.print(); } }, '打印'),
              h('a', { class: 'btn secondary', id: 'report-xlsx', href: '/api/staff/reports/monthly.xlsx?' + q }, '导出 Excel')),
            can('PUT /plans/:unit_code/:month') ? planForm(v.unit, v.month, show) : null
          ];
        });
      }
      Z.onSubmit(form, function () { show(); return Promise.resolve(); });
      show();
      return [form, box];
    });
  }

  // planForm enters the unit's plan for the month (月初上报计划数).
  function planForm(unit, month, done) {
    var box = h('section', { class: 'no-print', id: 'plan' });
    Z.load(box, function () { return get('/plans/' + encodeURIComponent(unit) + '/' + month); }, function (p) {
      var form = h('form', { id: 'plan-form', novalidate: true },
        h('h2', null, p.unit.name + ' ' + month + ' 月度计划'),
        p.frozen ? h('p', { class: 'muted' }, '本月 5 日后计划已冻结，仅上级院管理员可更正。') : null,
        Z.field('计划公开文书数', h('input', { type: 'number', min: '0', name: 'documents_planned', value: num(p.documents_planned) === '—' ? '' : p.documents_planned })),
        Z.field('计划公开信息数', h('input', { type: 'number', min: '0', name: 'events_planned', value: num(p.events_planned) === '—' ? '' : p.events_planned })),
        h('button', { type: 'submit' }, '保存计划'));
      return Z.onSubmit(form, function (v) {
        return Z.api('PUT', '/api/staff/plans/' + encodeURIComponent(unit) + '/' + month,
          { documents_planned: Number(v.documents_planned), events_planned: Number(v.events_planned) }).then(done);
      });
    });
    return box;
  }

  // ---- 用户管理（管理员） -------------------------------------------------
  function usersView() {
    var root = page('用户管理');
    var box = h('div', { id: 'users' });
    Z.mount(root, root.firstChild, h('p', null, h('button', { type: 'button', id: 'new-user', onclick: function () { newUser(reload); } }, '新建用户')), box);
    function reload() {
      Z.load(box, function () { return get('/users'); }, function (res) {
        var rows = items(res);
        if (!rows.length) return Z.empty('暂无用户');
        return table([
          ['用户名', function (u) { return u.username; }], ['姓名', function (u) { return u.display_name; }],
          ['角色', function (u) { return Z.label('staff_roles', u.role); }],
          ['状态', function (u) { return u.disabled ? Z.badge('cancelled', '已停用') : (u.locked_until && new Date(u.locked_until) > new Date() ? Z.badge('failed', '已锁定') : Z.badge('approved', '正常')); }],
          ['最近登录', function (u) { return Z.fmtDateTime(u.last_login_at) || '—'; }],
          ['操作', function (u) { return h('div', { class: 'actions' }, userActions(u, reload)); }]
        ], rows, 'user-table');
      });
    }
    reload();
  }

  function userActions(u, reload) {
    var toggle = u.disabled ? ['启用', 'enable', 'secondary'] : ['停用', 'disable', 'danger'];
    return [
      h('button', { type: 'button', class: 'small ' + toggle[2], onclick: function () {
        Z.confirmDialog(toggle[0] + '账号', '确定' + toggle[0] + ' ' + u.username + '？', function () {
          return post('/users/' + u.id + '/' + toggle[1]).then(reload);
        }, toggle[0]);
      } }, toggle[0]),
      h('button', { type: 'button', class: 'small secondary', onclick: function () {
        Z.dialog('重置密码：' + u.username, function () {
          return Z.field('新密码', h('input', { name: 'password', id: 'reset-password', type: 'password', autocomplete: 'new-password' }), '告知本人后请其尽快修改');
        }, function (v) { return post('/users/' + u.id + '/reset-password', { password: v.password }).then(reload); }, '重置');
      } }, '重置密码')
    ];
  }

  // unitField picks a unit (unit_code) of the staff member's scope, for a
  // new room or account; hidden while the scope holds a single unit, which
  // the server then picks.
  function unitField(id) {
    var sel = h('select', { name: 'unit_code', id: id });
    var field = Z.field('单位', sel);
    field.hidden = true;
    get('/units').then(function (res) {
      var units = items(res);
      Z.unitOptions(units).forEach(function (o) { sel.appendChild(o); });
      field.hidden = units.length < 2;
    }, function () { /* the server picks the only unit */ });
    return field;
  }

  function newUser(reload) {
    Z.dialog('新建用户', function () {
      return [
        Z.field('用户名', h('input', { name: 'username', id: 'new-username', autocomplete: 'off' })),
        Z.field('姓名', h('input', { name: 'display_name', id: 'new-display-name' })),
        unitField('new-unit'),
        Z.field('角色', h('select', { name: 'role', id: 'new-role' }, Object.keys(Z.vocab.staff_roles).map(function (r) { return h('option', { value: r }, Z.vocab.staff_roles[r]); }))),
        Z.field('初始密码', h('input', { name: 'password', id: 'new-password', type: 'password', autocomplete: 'new-password' }), '至少 8 位，含大写、小写、数字、符号中的三类')
      ];
    }, function (v) { return post('/users', v).then(reload); }, '创建');
  }

  // Every console page first asks who is logged in: a new tab gets its
  // CSRF token and role back, an expired session goes to the login page.
  function start(render) {
    return function (params) {
      Z.api('GET', '/api/staff/me').then(function (res) {
        Z.setCSRF(res.csrf_token);
        Z.setOfficeZone(res.time_zone);
        remember(res);
        var page = navItems.filter(function (n) { return n[0] !== '/staff/' && location.pathname.indexOf(n[0]) === 0; })[0];
        if (page && !can(page[2])) { denied(page[1]); return; }
        render(params);
      }, function (err) {
        if (!err.redirecting) Z.mount(view, Z.failure(err, function () { location.reload(); }));
      });
    };
  }

  // denied is a page the role may not open: said plainly, with no 重试.
  function denied(title) {
    var root = page(title);
    root.appendChild(Z.empty('您的角色无权使用「' + title + '」，如需办理请联系管理员。'));
  }

  Z.route([
    ['/staff/login', loginView],
    ['/staff/', start(dashboardView)],
    ['/staff/bindings', start(bindingsView)],
    ['/staff/reviews', start(reviewsView)],
    ['/staff/meetings', start(meetingsView)],
    ['/staff/efile-requests', start(efilesView)],
    ['/staff/cases', start(casesView)],
    ['/staff/cases/:id', start(caseEditView)],
    ['/staff/slots', start(slotsView)],
    ['/staff/pushes', start(pushesView)],
    ['/staff/stats', start(statsView)],
    ['/staff/reports', start(reportsView)],
    ['/staff/complaints', start(complaintsView)],
    ['/staff/ratings', start(ratingsView)],
    ['/staff/audit', start(auditView)],
    ['/staff/users', start(usersView)]
  ], start(function () { page('页面不存在'); view.appendChild(Z.failure({ message: '页面不存在' })); }));
})();
