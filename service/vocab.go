package service

import "zsjc/model"

// Measures is the vocabulary of 强制措施 a case can carry ("" for none).
var Measures = []string{"拘留", "逮捕", "取保候审", "监视居住", "指定居所监视居住"}

// EventSourceLabels name where a timeline event came from.
var EventSourceLabels = map[string]string{
	SourceStaff:       "工作人员录入",
	SourceIntegration: "业务系统同步",
	SourceImport:      "批量导入",
}

// PushKindLabels name each push kind (推送原因).
var PushKindLabels = map[string]string{
	model.PushCaseEvent:     "案件进展",
	model.PushBindingResult: "绑定结果",
	model.PushReviewResult:  "阅卷预约结果",
	model.PushMeetingResult: "会见结果",
	model.PushReminder:      "前一日提醒",
	model.PushEfileResult:   "线上阅卷结果",
	model.PushEfileExpiring: "线上阅卷即将到期",
	model.PushRatingInvite:  "评价邀请",
	model.PushComplaintStep: "控告申诉进展",
}

// PushChannelLabels name the channels a push goes out on.
var PushChannelLabels = map[string]string{
	model.ChannelWeChatTemplate:  "微信模板消息",
	model.ChannelWeChatSubscribe: "微信订阅通知",
	model.ChannelSMS:             "短信",
}

// AuditActionLabels name every action the audit log records. A test walks
// the code for audit calls and fails on an action missing here.
var AuditActionLabels = map[string]string{
	"binding.party":         "当事人绑定",
	"binding.lawyer":        "律师申请绑定",
	"binding.approved":      "通过绑定",
	"binding.rejected":      "驳回绑定",
	"binding.revoked":       "解除绑定",
	"binding.cancelled":     "撤回绑定申请",
	"binding.list":          "查看绑定申请",
	"binding.lift":          "解除重新绑定限制",
	"binding.review_again":  "律师信息变更，重新审核",
	"consent.give":          "同意个人信息处理",
	"consent.withdraw":      "撤回个人信息处理同意",
	"account.delete":        "注销账号",
	"case.create":           "新建案件",
	"case.update":           "修改案件",
	"case.event":            "记录案件进程",
	"case.event_correct":    "更正案件进程",
	"case.event_delete":     "删除案件进程",
	"document.create":       "发布文书",
	"document.withdraw":     "撤回文书",
	"party.create":          "添加当事人",
	"party.delete":          "移除当事人",
	"party.view":            "查看当事人名单",
	"upload.view":           "查看绑定材料",
	"review.confirmed":      "确认阅卷预约",
	"review.rejected":       "驳回阅卷预约",
	"review.cancelled":      "取消阅卷预约",
	"review.completed":      "阅卷完成",
	"review.no_show":        "阅卷未到场",
	"review.list":           "查看阅卷预约",
	"meeting.confirmed":     "确认会见",
	"meeting.rejected":      "驳回会见申请",
	"meeting.cancelled":     "取消会见",
	"meeting.list":          "查看会见申请",
	"efile.file":            "上传电子卷宗",
	"efile.approved":        "批准线上阅卷",
	"efile.rejected":        "驳回线上阅卷申请",
	"efile.list":            "查看线上阅卷申请",
	"efile.downloads":       "查看电子卷宗下载记录",
	"slot.create":           "开放阅卷时段",
	"slot.create_range":     "批量开放阅卷时段",
	"slot.close":            "关闭阅卷时段",
	"room.create":           "新增阅卷室",
	"room.update":           "修改阅卷室",
	"push.retry":            "重新发送推送",
	"staff.login":           "登录",
	"staff.login_failed":    "登录失败",
	"staff.login_blocked":   "登录被限制（同一地址尝试过多）",
	"staff.change_password": "修改本人密码",
	"staff.logout":          "退出登录",
	"staff.create":          "新建用户",
	"staff.disable":         "停用账号",
	"staff.enable":          "启用账号",
	"staff.reset_password":  "重置密码",
	"unit.create":           "新增单位",
	"unit.update":           "修改单位",
	"unit.delete":           "删除单位",
	"plan.update":           "填报月度计划",
	"plan.correct":          "更正月度计划",
	"http.write":            "其他写操作",

	// 控告申诉 (complaints.go).
	"complaint.submit":          "提交控告申诉",
	"complaint.list":            "查看控告申诉",
	"complaint.acknowledged":    "受理控告申诉",
	"complaint.transferred":     "移送控告申诉",
	"complaint.resolved":        "办结控告申诉",
	"complaint.attachment_view": "查看控告申诉附件",
	// The second login factor (twofactor.go).
	"staff.login_2fa_ok":      "登录（已验证动态口令）",
	"staff.login_2fa_failed":  "动态口令验证失败",
	"staff.2fa_enrol":         "绑定动态口令",
	"staff.2fa_recovery_used": "使用恢复码登录",
	"staff.2fa_reset":         "重置动态口令",
}

// Vocabulary is every fixed list and label the pages show, served once by
// GET /api/vocab so that the pages never spell a vocabulary of their own.
type Vocabulary struct {
	Stages       []string          `json:"stages"`
	Measures     []string          `json:"measures"`
	PartyRoles   []string          `json:"party_roles"`
	MeetingTypes []string          `json:"meeting_types"`
	CopyMethods  []string          `json:"copy_methods"`
	Statuses     map[string]string `json:"statuses"`
	PushKinds    map[string]string `json:"push_kinds"`
	PushChannels map[string]string `json:"push_channels"`
	AuditActions map[string]string `json:"audit_actions"`
	EventSources map[string]string `json:"event_sources"`
	UserRoles    map[string]string `json:"user_roles"`
	StaffRoles   map[string]string `json:"staff_roles"`
	Periods      map[string]string `json:"periods"`
	// MeetingHours are the hours meetings are requested and confirmed in.
	MeetingHours string `json:"meeting_hours"`
	// StatFigures are the statistics (stats.go), in their order.
	StatFigures []Figure `json:"stat_figures"`
	// ComplaintCategories name the complaint categories; RatingTags are
	// the tags a rating may carry; RequestKinds name the kinds of request
	// 我的申请 lists and a rating names.
	ComplaintCategories map[string]string `json:"complaint_categories"`
	RatingTags          []string          `json:"rating_tags"`
	RequestKinds        map[string]string `json:"request_kinds"`
}

// PeriodLabels name the reading-room periods.
var PeriodLabels = map[string]string{PeriodAM: "上午", PeriodPM: "下午"}

// StaffRoleLabels name the staff roles.
var StaffRoleLabels = map[string]string{
	model.StaffAdmin: "管理员", model.StaffCaseManager: "案管人员", model.StaffProsecutor: "检察官",
	model.StaffComplaints: "控申人员",
}

// UserRoleLabels name the WeChat users' roles on a case.
var UserRoleLabels = map[string]string{model.RoleLawyer: "律师", model.RoleParty: "当事人"}

// Vocab returns the vocabulary.
func Vocab() Vocabulary {
	return Vocabulary{
		Stages: Stages, Measures: Measures, PartyRoles: PartyRoles, MeetingTypes: MeetingTypes,
		CopyMethods: ReviewCopyMethods, Statuses: model.StatusLabels(), PushKinds: PushKindLabels,
		PushChannels: PushChannelLabels,
		AuditActions: AuditActionLabels, EventSources: EventSourceLabels, UserRoles: UserRoleLabels,
		StaffRoles: StaffRoleLabels, Periods: PeriodLabels,
		MeetingHours: officeHoursText, StatFigures: Figures,
		ComplaintCategories: ComplaintCategoryLabels, RatingTags: RatingTags, RequestKinds: RequestKindLabels(),
	}
}
