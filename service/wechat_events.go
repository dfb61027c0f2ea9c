package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"zsjc/cache"
	"zsjc/model"
)

// WeChatEvent is a message or event a follower sent through WeChat's
// callback, already verified and decoded.
type WeChatEvent struct {
	OpenID     string
	CreateTime int64
	// MsgType is "text", "image" … or "event"; Event then names it.
	MsgType  string
	Event    string
	EventKey string
	Content  string
	MsgID    int64
	// TemplateMsgID and Status report a template message's delivery
	// (TEMPLATESENDJOBFINISH).
	TemplateMsgID int64
	Status        string
	// Subscriptions are the items of a subscribe-notice event.
	Subscriptions []SubscribeChange
}

// DedupKey identifies one delivery of the event across WeChat's retries.
// MsgId alone has been seen to collide between users, so messages are
// keyed by (FromUserName, MsgId) and events by (FromUserName, CreateTime,
// Event, EventKey); a delivery report adds its template msgid, since two
// reports to one user can share a second.
func (e WeChatEvent) DedupKey() string {
	if e.MsgType != "event" {
		if e.MsgID == 0 { // not sent by WeChat for messages; never collapse them all
			return "msg:" + e.OpenID + ":t" + strconv.FormatInt(e.CreateTime, 10)
		}
		return "msg:" + e.OpenID + ":" + strconv.FormatInt(e.MsgID, 10)
	}
	k := "evt:" + e.OpenID + ":" + strconv.FormatInt(e.CreateTime, 10) + ":" + e.Event + ":" + e.EventKey
	if e.TemplateMsgID != 0 {
		k += ":" + strconv.FormatInt(e.TemplateMsgID, 10)
	}
	for _, it := range e.Subscriptions {
		k += ":" + it.TemplateID + "=" + it.Status + "#" + strconv.FormatInt(it.MsgID, 10)
	}
	return k
}

// at is when WeChat says the event happened.
func (e WeChatEvent) at(now time.Time) time.Time {
	if e.CreateTime <= 0 {
		return now
	}
	return time.Unix(e.CreateTime, 0).UTC()
}

// WeChatOutcome is what to answer WeChat.
type WeChatOutcome struct {
	// Reply is the passive text reply, "" to answer "success".
	Reply string
	// Duplicate: this delivery was handled before (by any instance); the
	// reply is the one the first delivery got.
	Duplicate bool
}

// Callback dedup timing. WeChat retries within ~15 s; the key outlives
// that comfortably. The cache gets a short budget so that, when it is
// down, the database fallback still answers inside WeChat's 5 s.
//
// An event that changes a row is claimed in the database (claimCallback),
// first only for callbackApplyHold,
// shorter than WeChat's 5 s wait, and the claim is extended to the full
// dedup window once the change is applied. If the instance holding the
// claim dies (or panics) before applying, WeChat's retry finds the claim
// gone and applies the change instead of being answered as a duplicate
// and lost. A first delivery still working after that long may apply the
// change a second time, which each event's one-row change tolerates.
const (
	callbackDedupTTL     = 10 * time.Minute
	callbackApplyHold    = 4 * time.Second
	callbackCacheBudget  = 800 * time.Millisecond
	callbackDBKeepFor    = 24 * time.Hour
	callbackReplyMarker  = "r:" // prefix of stored replies: "" is a valid reply
	callbackKeyNamespace = "wechat:cb:"
)

// HandleWeChatEvent acts on a follower's message or event exactly once
// across instances and returns the passive reply. The reply depends on the
// event alone, so it is computed first and stored with the dedup claim: a
// retry arriving anywhere, even while the first delivery is still being
// applied, answers the same text. Each event changes at most one row, so
// it is applied before replying; when that fails for lack of storage the
// claim is released and the error returned, so WeChat's retry tries again.
func (s *Service) HandleWeChatEvent(ctx context.Context, e WeChatEvent) (WeChatOutcome, error) {
	reply := s.weChatReply(e)
	change := s.weChatChange(e)
	sum := sha256.Sum256([]byte(e.DedupKey()))
	key := hex.EncodeToString(sum[:])
	claim, err := s.claimCallback(ctx, key, reply, change != nil)
	if err != nil {
		return WeChatOutcome{}, err
	}
	if !claim.won {
		return WeChatOutcome{Reply: claim.reply, Duplicate: true}, nil
	}
	if change == nil {
		return WeChatOutcome{Reply: reply}, nil
	}
	if err := s.applyWeChatChange(ctx, e, change); err != nil {
		claim.release(context.WithoutCancel(ctx))
		return WeChatOutcome{}, fmt.Errorf("wechat %s %s: %w", e.MsgType, e.Event, err)
	}
	claim.settle(context.WithoutCancel(ctx))
	return WeChatOutcome{Reply: reply}, nil
}

// claimCallback claims the dedup key where it is authoritative. An event
// that changes data is claimed in the database only: a claim in Redis can
// be lost at a failover (replication is asynchronous) or be invisible to
// an instance that cannot reach Redis and falls back to the database, and
// either way two instances would both apply the event. A reply-only event
// is claimed in Redis, the fast path, and in the database only when Redis
// is unavailable; at worst a reply is sent twice.
func (s *Service) claimCallback(ctx context.Context, key, reply string, changes bool) (callbackClaim, error) {
	if changes {
		return s.claimCallbackInDB(ctx, key, reply, true)
	}
	claim, err := s.claimCallbackInCache(ctx, key, reply)
	if err != nil {
		s.log.Warn("wechat dedup: cache unavailable, using the database", "err", err)
		return s.claimCallbackInDB(ctx, key, reply, false)
	}
	return claim, nil
}

// callbackClaim is the outcome of claiming a dedup key.
type callbackClaim struct {
	won   bool
	reply string // the stored reply, when not won
	// release gives the claim up (the change failed); settle extends it to
	// the whole dedup window (the change is applied).
	release, settle func(context.Context)
}

// claimCallbackInCache claims key with SET NX for the whole dedup window
// (reply-only events: nothing to release or settle).
func (s *Service) claimCallbackInCache(ctx context.Context, key, reply string) (callbackClaim, error) {
	ctx, cancel := context.WithTimeout(ctx, callbackCacheBudget)
	defer cancel()
	ck := callbackKeyNamespace + key
	won, err := s.cache.SetNX(ctx, ck, callbackReplyMarker+reply, callbackDedupTTL)
	if err != nil {
		return callbackClaim{}, err
	}
	if won {
		return callbackClaim{won: true}, nil
	}
	stored, err := s.cache.Get(ctx, ck)
	switch {
	case errors.Is(err, cache.ErrMiss): // expired just now: the reply is the same anyway
		return callbackClaim{reply: reply}, nil
	case err != nil:
		return callbackClaim{}, err
	}
	return callbackClaim{reply: strings.TrimPrefix(stored, callbackReplyMarker)}, nil
}

// claimCallbackInDB claims the key through the primary key of
// model.WeChatCallback, and drops rows older than a day on the way. A
// claim of a change that is still pending after the apply hold was left by
// an instance that died before applying it: it is taken over.
func (s *Service) claimCallbackInDB(ctx context.Context, key, reply string, changes bool) (callbackClaim, error) {
	db := s.db.WithContext(ctx)
	now := s.Now()
	if err := db.Where("created_at < ?", now.Add(-callbackDBKeepFor)).Delete(&model.WeChatCallback{}).Error; err != nil {
		return callbackClaim{}, fmt.Errorf("wechat dedup: prune: %w", err)
	}
	res := db.Clauses(clause.OnConflict{DoNothing: true}).
		Create(&model.WeChatCallback{Key: key, Reply: reply, CreatedAt: now, Pending: changes})
	if res.Error != nil {
		return callbackClaim{}, fmt.Errorf("wechat dedup: claim: %w", res.Error)
	}
	won := res.RowsAffected == 1
	if !won && changes {
		res = db.Model(&model.WeChatCallback{}).Where(&model.WeChatCallback{Key: key}).
			Where("pending = ? AND created_at < ?", true, now.Add(-s.callbackHold)).Update("created_at", now)
		if res.Error != nil {
			return callbackClaim{}, fmt.Errorf("wechat dedup: take over claim: %w", res.Error)
		}
		won = res.RowsAffected == 1
	}
	if won {
		return callbackClaim{won: true,
			release: func(ctx context.Context) {
				if err := s.db.WithContext(ctx).Delete(&model.WeChatCallback{Key: key}).Error; err != nil {
					s.log.Warn("wechat dedup: release claim", "err", err)
				}
			},
			settle: func(ctx context.Context) {
				if err := s.db.WithContext(ctx).Model(&model.WeChatCallback{}).Where(&model.WeChatCallback{Key: key}).
					Update("pending", false).Error; err != nil {
					s.log.Warn("wechat dedup: settle claim", "err", err)
				}
			}}, nil
	}
	var row model.WeChatCallback
	if err := db.Where(&model.WeChatCallback{Key: key}).Take(&row).Error; err != nil {
		return callbackClaim{}, fmt.Errorf("wechat dedup: read claim: %w", err)
	}
	return callbackClaim{reply: row.Reply}, nil
}

// weChatChange is the one change the event makes, nil for messages and
// events that only get a reply.
func (s *Service) weChatChange(e WeChatEvent) func(context.Context) error {
	if e.MsgType != "event" {
		return nil // an Event field on a message is not an event
	}
	switch e.Event {
	case "subscribe":
		return func(ctx context.Context) error { return s.recordFollower(ctx, e.OpenID, true, e.scene()) }
	case "SCAN":
		return func(ctx context.Context) error { return s.recordFollower(ctx, e.OpenID, false, e.scene()) }
	case "unsubscribe":
		return func(ctx context.Context) error { return s.recordUnfollow(ctx, e.OpenID) }
	case "TEMPLATESENDJOBFINISH":
		return func(ctx context.Context) error { return s.RecordPushDelivery(ctx, e.TemplateMsgID, e.Status) }
	case eventSubscribePopup, eventSubscribeChange:
		return func(ctx context.Context) error {
			return s.recordConsents(ctx, e.OpenID, e.at(s.Now()), e.Subscriptions)
		}
	case eventSubscribeSent:
		return func(ctx context.Context) error {
			return s.recordSubscribeDeliveries(ctx, e.OpenID, e.at(s.Now()), e.Subscriptions)
		}
	}
	return nil
}

// applyWeChatChange makes the event's change. Domain refusals (a report
// for a push we do not know) are logged and count as handled: retrying
// would not change them.
func (s *Service) applyWeChatChange(ctx context.Context, e WeChatEvent, change func(context.Context) error) error {
	err := change(ctx)
	var de *model.Error
	if errors.As(err, &de) {
		s.log.Info("wechat event not applied", "event", e.Event, "code", de.Code)
		return nil
	}
	return err
}

// recordFollower upserts the follower as subscribed; a (re)subscription
// stamps subscribed_at, a scene key is remembered.
func (s *Service) recordFollower(ctx context.Context, openid string, subscribing bool, scene string) error {
	now := s.Now()
	u := model.WeChatUser{OpenID: openid, Subscribed: true, SubscribedAt: &now, Scene: scene,
		CreatedAt: now, UpdatedAt: now}
	update := map[string]any{"subscribed": true, "updated_at": now}
	if subscribing {
		update["subscribed_at"], update["unsubscribed_at"] = now, nil
	}
	if scene != "" {
		update["scene"] = scene
	}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "open_id"}},
		DoUpdates: clause.Assignments(update),
	}).Create(&u).Error
	if err != nil {
		return fmt.Errorf("record follower: %w", err)
	}
	return nil
}

// recordUnfollow marks the follower unsubscribed and keeps everything
// else (bindings, history) as it is.
func (s *Service) recordUnfollow(ctx context.Context, openid string) error {
	now := s.Now()
	err := s.db.WithContext(ctx).Model(&model.WeChatUser{}).
		Where("open_id = ? AND subscribed = ?", openid, true).
		Updates(map[string]any{"subscribed": false, "unsubscribed_at": now, "updated_at": now}).Error
	if err != nil {
		return fmt.Errorf("record unfollow: %w", err)
	}
	return nil
}

// sceneKeyPattern is what a QR scene may carry: a case number (部门受案号
// such as 京检一分刑诉受[2024]1号 is Chinese text, digits and brackets).
var sceneKeyPattern = regexp.MustCompile(`^[\p{Han}A-Za-z0-9\-_()（）\[\]〔〕【】]{1,64}$`)

// scene returns the case number a QR-code follow (subscribe with EventKey
// qrscene_X) or scan (SCAN with X) carries, "" when there is none: a
// subscribe whose key lacks the prefix came from elsewhere (a follow after
// a WeChat Pay payment carries last_trade_no_…), not from a case QR code.
func (e WeChatEvent) scene() string {
	key := e.EventKey
	if e.Event == "subscribe" {
		var ok bool
		if key, ok = strings.CutPrefix(key, "qrscene_"); !ok {
			return ""
		}
	}
	if !sceneKeyPattern.MatchString(key) {
		return ""
	}
	return key
}

// MenuHelpKey is the CLICK key of the 帮助 menu button (config/menu.yaml).
const MenuHelpKey = "HELP"

// weChatReply is the passive text reply to e, "" for none.
func (s *Service) weChatReply(e WeChatEvent) string {
	if e.MsgType == "event" {
		switch e.Event {
		case "subscribe":
			if scene := e.scene(); scene != "" {
				return s.texts.welcome + "\n\n" + s.bindCaseText(scene)
			}
			return s.texts.welcome
		case "SCAN":
			if scene := e.scene(); scene != "" {
				return s.bindCaseText(scene)
			}
		case "CLICK":
			if e.EventKey == MenuHelpKey {
				return s.texts.help
			}
		}
		return ""
	}
	if e.MsgType != "text" {
		return ""
	}
	content := strings.TrimSpace(e.Content)
	switch {
	case strings.Contains(content, "帮助"):
		return s.texts.help
	case strings.Contains(content, "绑定"):
		return s.texts.bind
	case strings.Contains(content, "进度"), strings.Contains(content, "查询"):
		return s.texts.progress
	case strings.Contains(content, "预约"):
		return s.texts.booking
	case strings.Contains(content, "会见"):
		return s.texts.meeting
	case content != "":
		return s.texts.unrecognised
	}
	return ""
}

// weChatTexts are the replies that depend on the configuration only,
// built once by New rather than on every callback.
type weChatTexts struct {
	welcome, help, bind, progress, booking, meeting, unrecognised string
}

func (s *Service) newWeChatTexts() weChatTexts {
	menuGuide := "底部菜单：\n" +
		"· 业务办理：律师服务（律师登记、阅卷预约、申请会见）、当事人服务（绑定案件）、我的预约\n" +
		"· 案件公开：案件查询、法律文书、重要案件\n" +
		"· 帮助：查看本说明\n\n" +
		"也可以直接回复：绑定、进度、预约、会见。首次使用请先" + s.link("/h5/bind", "绑定案件") + "。"
	help := "【使用帮助】\n" + menuGuide + "\n\n如需人工帮助，请在工作时间拨打本院案件管理部门电话。"
	unrecognised := s.opt.UnrecognisedReply
	if unrecognised == "" {
		unrecognised = help
	}
	return weChatTexts{
		unrecognised: unrecognised,
		welcome:      "欢迎关注“掌上检察”！\n\n" + menuGuide,
		help:         help,
		bind: "【绑定案件】" + s.link("/h5/bind", "点此绑定案件") + "\n" +
			"当事人及近亲属：填写部门受案号、姓名和身份证号，核对一致即可绑定。\n" +
			"律师：请先" + s.link("/h5/profile", "完成律师登记") + "，再填写部门受案号并上传委托书，经案管部门审核后绑定。",
		progress: "【案件进度】绑定案件后可查看案件的程序性信息、办理进度和公开的法律文书：" +
			s.link("/h5/", "我的案件") + "\n尚未绑定案件？回复“绑定”。",
		booking: "【预约阅卷】律师在已绑定的案件页面选择“预约阅卷”，挑选阅卷室的时段即可提交：" +
			s.link("/h5/", "我的案件") + "\n查看或取消已有预约：" + s.link("/h5/appointments", "我的预约"),
		meeting: "【申请会见】在已绑定的案件页面选择“申请会见”，填写事由和两个希望的时间，承办检察官确认后会推送通知：" +
			s.link("/h5/", "我的案件") + "\n查看申请进度：" + s.link("/h5/appointments", "我的预约"),
	}
}

func (s *Service) bindCaseText(caseNo string) string {
	return "您扫描的二维码对应案件 " + caseNo + "：" +
		s.link("/h5/bind?case_no="+url.QueryEscape(caseNo), "点此绑定该案件")
}

// link is an <a> to an H5 page through the WeChat login, which sends the
// user on to the page.
func (s *Service) link(page, text string) string {
	href := strings.TrimRight(s.opt.LinkBase, "/") + "/h5/login?next=" + url.QueryEscape(page)
	return `<a href="` + href + `">` + text + `</a>`
}
