package service

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"zsjc/model"
)

// pushCauseLabels name the record a push's cause refers to.
var pushCauseLabels = map[string]string{
	"event": "案件进程", "correction": "进程更正", "binding": "绑定申请", "review": "阅卷预约", "meeting": "会见申请",
	"efile": "线上阅卷申请", "reminder": "提醒",
	"rating": "评价邀请", "complaint": "控告申诉",
}

// causeLabel puts a cause in words: "meeting:1:confirmed" → "会见申请 #1 · 已确认",
// "reminder:review:4" → "提醒 · 阅卷预约 #4".
func causeLabel(cause string) string {
	var words []string
	for _, part := range strings.Split(cause, ":") {
		switch {
		case pushCauseLabels[part] != "":
			words = append(words, pushCauseLabels[part])
		case isDigits(part) && len(words) > 0:
			words[len(words)-1] += " #" + part
		case model.Status(part).Label() != part:
			words = append(words, model.Status(part).Label())
		default:
			words = append(words, part)
		}
	}
	return strings.Join(words, " · ")
}

func isDigits(s string) bool {
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// wechatErrorLabels name the platform's error codes a push can fail with.
var wechatErrorLabels = map[int]string{
	-1:    "微信系统繁忙",
	40001: "公众号凭证无效",
	40003: "用户标识无效",
	40037: "模板 ID 无效",
	43004: "用户未关注公众号",
	43101: "用户拒收消息",
	45009: "接口调用超过每日限额",
	47003: "模板内容不符合要求",
}

var (
	errcodeInText = regexp.MustCompile(`errcode[ :=]*(-?\d+)`)
	// smsCodeInText finds the status code in the SMS sender's errors
	// ("sms SendSms: LimitExceeded.PhoneNumberDailyLimit: …").
	smsCodeInText = regexp.MustCompile(`^sms \w+: ([A-Za-z][\w.]*)`)
)

// failureLabel puts a push's last error in words for staff; "" for none.
// The raw text stays in last_error for whoever debugs the platform.
func failureLabel(lastError string) string {
	switch {
	case lastError == "":
		return ""
	case lastError == pushErrRecipientErased:
		return "用户已注销账号"
	case lastError == reasonUnreachable:
		return "用户未关注公众号，也未留可接收短信的手机号"
	case lastError == model.ReasonHeldForQuota:
		return "今日推送额度留给优先消息，次日发送"
	case strings.Contains(lastError, "user block"):
		return "用户拒收消息"
	case strings.Contains(lastError, "system failed"):
		return "微信系统发送失败"
	}
	if m := smsCodeInText.FindStringSubmatch(lastError); m != nil {
		return fmt.Sprintf("短信平台错误（%s）", m[1])
	}
	if m := errcodeInText.FindStringSubmatch(lastError); m != nil {
		code, _ := strconv.Atoi(m[1])
		if l, ok := wechatErrorLabels[code]; ok {
			return l
		}
		return fmt.Sprintf("微信平台错误（%d）", code)
	}
	return "网络或平台异常"
}

// maskName keeps a name's first character: 王律师 → 王**, 张三 → 张*.
func maskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}

// pushRecipients names the followers the pushes go to, by openid, as the
// console shows them (see maskedUsers).
func (s *Service) pushRecipients(ctx context.Context, rows []model.PushMessage) (map[string]string, error) {
	openIDs := make([]string, 0, len(rows))
	for _, r := range rows {
		openIDs = append(openIDs, r.OpenID)
	}
	out := make(map[string]string, len(rows))
	if len(openIDs) == 0 {
		return out, nil
	}
	db := s.db.WithContext(ctx)
	var users []model.WeChatUser
	if err := db.Select("id", "open_id").Where("open_id IN ?", openIDs).Find(&users).Error; err != nil {
		return nil, fmt.Errorf("push recipients: %w", err)
	}
	ids := make([]uint64, 0, len(users))
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	names, err := maskedUsers(db, ids)
	if err != nil {
		return nil, fmt.Errorf("push recipients: %w", err)
	}
	for _, u := range users {
		out[u.OpenID] = names[u.ID]
	}
	return out, nil
}

// maskedUsers names WeChat users as staff see them: role and masked name
// (律师 王**, 当事人 张*). A user with a lawyer profile is named as the
// lawyer; otherwise by a party binding; otherwise as 微信用户.
func maskedUsers(db *gorm.DB, ids []uint64) (map[uint64]string, error) {
	out := make(map[uint64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ids = uniq(ids)
	for _, id := range ids {
		out[id] = "微信用户"
	}
	var parties []struct {
		UserID uint64
		Name   string
	}
	if err := db.Table("bindings").Select("bindings.user_id, parties.name").
		Joins("JOIN parties ON parties.id = bindings.party_id").
		Where("bindings.user_id IN ? AND bindings.role = ?", ids, model.RoleParty).Scan(&parties).Error; err != nil {
		return nil, fmt.Errorf("party names: %w", err)
	}
	for _, p := range parties {
		out[p.UserID] = UserRoleLabels[model.RoleParty] + " " + maskName(p.Name)
	}
	var lawyers []model.LawyerProfile
	if err := db.Select("user_id", "name").Where("user_id IN ?", ids).Find(&lawyers).Error; err != nil {
		return nil, fmt.Errorf("lawyer names: %w", err)
	}
	for _, l := range lawyers {
		out[l.UserID] = UserRoleLabels[model.RoleLawyer] + " " + maskName(l.Name)
	}
	return out, nil
}
