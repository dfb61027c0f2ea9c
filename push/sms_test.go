package push_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"zsjc/cache"
	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/push"
	"zsjc/secure"
	"zsjc/service"
	"zsjc/sms"
	"zsjc/sms/smstest"
	"zsjc/testenv"
	"zsjc/wechat"
)

// smsLatency is how long the fake SMS API takes to answer.
const smsLatency = 20 * time.Millisecond

// smsSealer seals the test users' phone numbers; every instance of a test
// opens them with the same key.
func smsSealer(t testing.TB) *secure.Sealer {
	s, err := secure.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func startSMS(t testing.TB) (*smstest.Fake, string) {
	f := smstest.New()
	f.SetLatency(smsLatency)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// queueSMS makes n users who unfollowed and gave a phone number with SMS
// consent, and queues a case-event push by SMS to each, as enqueue routes
// it.
func queueSMS(t testing.TB, db *gorm.DB, n int) {
	sealer := smsSealer(t)
	users := make([]model.WeChatUser, n)
	rows := make([]model.PushMessage, n)
	gone := time.Now().Add(-time.Hour)
	for i := range n {
		openid := fmt.Sprintf("texted-%d", i)
		phone := fmt.Sprintf("139%08d", i)
		sealed, err := sealer.Seal(phone)
		if err != nil {
			t.Fatal(err)
		}
		users[i] = model.WeChatUser{OpenID: openid, UnsubscribedAt: &gone, PhoneEnc: sealed,
			PhoneMasked: secure.MaskMobile(phone), SMSConsent: true}
		key := "event:1:" + openid
		rows[i] = model.PushMessage{OpenID: openid, Kind: model.PushCaseEvent, Channel: model.ChannelSMS, DedupKey: key,
			ClientMsgID: service.ClientMsgID(key), Data: `{"case_no":"京检刑诉〔2026〕1号","stage":"审查起诉"}`,
			Status: model.StatusQueued, NextAttemptAt: time.Now().UTC()}
	}
	if err := db.CreateInBatches(&users, 500).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.CreateInBatches(&rows, 500).Error; err != nil {
		t.Fatal(err)
	}
}

// noWeChat is the template sender of instances that must send nothing on
// WeChat.
func noWeChat(t testing.TB) push.Sender {
	return push.SenderFunc(func(context.Context, wechat.TemplateMessage) (int64, error) {
		t.Error("a push went to WeChat")
		return 0, errors.New("not on WeChat")
	})
}

// smsWorker is one instance sending SMS through the fake at apiBase, its
// sms sender wrapped by wrap (nil: as is).
func smsWorker(t testing.TB, db *gorm.DB, store cache.Store, apiBase string, wechatSender push.Sender,
	wrap func(push.ChannelSender) push.ChannelSender, opt push.Options) (*push.Worker, *bytes.Buffer) {
	client, err := sms.NewClient(sms.Config{SecretID: smstest.SecretID, SecretKey: smstest.SecretKey,
		SDKAppID: smstest.SDKAppID, Sign: smstest.Sign, APIBase: apiBase})
	if err != nil {
		t.Fatal(err)
	}
	var sender push.ChannelSender = sms.NewSender(client, db, smsSealer(t), store,
		sms.SenderOptions{Templates: map[string]string{model.PushCaseEvent: "CE1"}})
	if wrap != nil {
		sender = wrap(sender)
	}
	opt.Channels = map[string]push.ChannelSender{model.ChannelSMS: sender}
	logs := &bytes.Buffer{}
	var mu sync.Mutex
	log := slog.New(slog.NewJSONHandler(lockedWriter{&mu, logs}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return push.New(db, store, wechatSender, push.NewMetrics(prometheus.NewRegistry()), log, opt), logs
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// assertTextedOnce checks that the fake SMS API accepted exactly one text
// per row, to the row's number, and that every row is recorded sent with
// the serial number the API gave it.
func assertTextedOnce(t *testing.T, db *gorm.DB, fake *smstest.Fake, n int) {
	t.Helper()
	serials := map[string]string{}
	for _, m := range fake.Sent() {
		if _, twice := serials[m.SessionContext]; twice {
			t.Fatalf("push %s texted twice", m.SessionContext)
		}
		serials[m.SessionContext] = m.SerialNo
	}
	var rows []model.PushMessage
	if err := db.Select("client_msg_id", "status", "provider_msg_id", "channel").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != n || len(serials) != n {
		t.Fatalf("%d rows, %d texted, want %d each", len(rows), len(serials), n)
	}
	for _, r := range rows {
		if r.Status != model.StatusSent || r.Channel != model.ChannelSMS || r.ProviderMsgID == "" || serials[r.ClientMsgID] != r.ProviderMsgID {
			t.Fatalf("push %s: %s on %s serial %q, the API's %q", r.ClientMsgID, r.Status, r.Channel, r.ProviderMsgID, serials[r.ClientMsgID])
		}
	}
}

// smsPushes is the size of the killed-instance SMS runs.
const smsPushes = 2000

// Environment of the worker process TestSIGKILLedInstanceTextsEachOnce starts.
const (
	smsProcessDSN = "ZSJC_PUSH_SMS_PROCESS_DSN"
	smsProcessAPI = "ZSJC_PUSH_SMS_PROCESS_API"
)

// TestSMSWorkerProcess is not a test: it is instance A of
// TestSIGKILLedInstanceTextsEachOnce, run as a child process, and returns
// at once unless that test started it.
func TestSMSWorkerProcess(t *testing.T) {
	dsn, apiBase := os.Getenv(smsProcessDSN), os.Getenv(smsProcessAPI)
	if dsn == "" {
		t.Skip("run by TestSIGKILLedInstanceTextsEachOnce")
	}
	db, err := model.Open(dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	w, _ := smsWorker(t, db, cache.NewMemory(), apiBase, noWeChat(t), nil, push.DrainOptions(push.SIGKILLLease))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w.Run(ctx)
}

// TestSIGKILLedInstanceTextsEachOnce is the killed-instance run for SMS:
// users who unfollowed and gave a phone number are texted by instance A in
// its own process and instance B in this one; A is killed with SIGKILL a
// quarter of the way through, B takes A's rows over when their leases
// expire and, before texting a row again, finds in the SMS API's records
// those A had sent: every user gets one text. It needs a shared database
// server; TestKilledSMSInstanceTextsNoneTwice covers both engines.
func TestSIGKILLedInstanceTextsEachOnce(t *testing.T) {
	if testenv.MySQLDSN() == "" {
		t.Skip("two processes need a shared database server: set ZSJC_TEST_MYSQL_DSN")
	}
	db, dsn := testenv.DBWithDSN(t)
	fake, apiBase := startSMS(t)
	queueSMS(t, db, smsPushes)

	child := push.StartChild(t, "TestSMSWorkerProcess", smsProcessDSN+"="+dsn, smsProcessAPI+"="+apiBase)
	// B starts once A is texting: a child built with the race detector can
	// take longer to start than B needs for a quarter of the texts.
	push.WaitFor(t, 50*time.Second, func() bool { return len(fake.Sent()) > 0 }, db)
	b, _ := smsWorker(t, testenv.Open(t, db, dsn), testenv.Cache(t), apiBase, noWeChat(t), nil, push.DrainOptions(push.SIGKILLLease))
	defer push.RunInBackground(b)()

	push.WaitFor(t, 50*time.Second, func() bool { return len(fake.Sent()) >= smsPushes/4 }, db)
	child.Kill(t)
	var orphaned []string
	if err := db.Model(&model.PushMessage{}).Where("status = ? AND lease_owner NOT LIKE ?", model.StatusSending, push.OwnerOf(b)+":%").
		Pluck("client_msg_id", &orphaned).Error; err != nil {
		t.Fatal(err)
	}
	texted := map[string]bool{}
	for _, m := range fake.Sent() {
		texted[m.SessionContext] = true
	}
	textedNotRecorded := 0
	for _, id := range orphaned {
		if texted[id] {
			textedNotRecorded++
		}
	}
	push.WaitFor(t, 50*time.Second, func() bool {
		return push.CountRows(t, db, "status = ?", model.StatusSent) == smsPushes
	}, db)
	t.Logf("A (pid %d) left %d pushes leased (%d already texted); B took them over after the %s lease",
		child.PID(), len(orphaned), textedNotRecorded, push.SIGKILLLease)
	if len(orphaned) == 0 {
		t.Fatalf("the child process held no leases when killed; its log:\n%s", child.Log())
	}
	assertTextedOnce(t, db, fake, smsPushes)
}

// TestKilledSMSInstanceTextsNoneTwice: instance A stops answering mid-run,
// half of its last sends after the SMS API accepted the text (a crash
// between the provider's answer and our commit), half before; B takes the
// rows over when the leases expire and texts only those A had not.
func TestKilledSMSInstanceTextsNoneTwice(t *testing.T) {
	const n, lease = 400, 3 * time.Second
	db, dsn := testenv.DBWithDSN(t)
	store, sameCache := testenv.CacheWithPrefix(t)
	fake, apiBase := startSMS(t)
	queueSMS(t, db, n)

	var killed atomic.Bool
	revive := make(chan struct{})
	var hung, hungAfterTexted atomic.Int32
	dying := func(next push.ChannelSender) push.ChannelSender {
		return channelFunc(func(ctx context.Context, row *model.PushMessage) (push.Receipt, error) {
			if !killed.Load() {
				return next.Send(ctx, row)
			}
			if hung.Add(1)%2 == 1 {
				if _, err := next.Send(ctx, row); err != nil {
					return push.Receipt{}, err
				}
				hungAfterTexted.Add(1)
			}
			<-revive
			return push.Receipt{}, errors.New("process was dead")
		})
	}
	opt := push.DrainOptions(lease)
	opt.Concurrency = 8
	a, _ := smsWorker(t, db, store, apiBase, noWeChat(t), dying, opt)
	b, _ := smsWorker(t, testenv.Open(t, db, dsn), sameCache(), apiBase, noWeChat(t), nil, opt)
	ctxA, kill := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	stoppedA := make(chan struct{})
	go func() {
		defer close(stoppedA)
		a.Run(ctxA)
	}()
	var wgB sync.WaitGroup
	wgB.Go(func() { b.Run(ctxB) })

	push.WaitFor(t, 30*time.Second, func() bool { return len(fake.Sent()) >= n/4 }, db)
	killed.Store(true)
	push.WaitFor(t, 10*time.Second, func() bool { return hung.Load() == int32(opt.Concurrency) })
	kill()
	push.WaitFor(t, 30*time.Second, func() bool { return push.CountRows(t, db, "status = ?", model.StatusSent) == n }, db)
	stopB()
	wgB.Wait()
	if hungAfterTexted.Load() == 0 {
		t.Fatal("the kill caught no send between the SMS API's answer and the commit")
	}
	assertTextedOnce(t, db, fake, n)
	close(revive)
	<-stoppedA
	assertTextedOnce(t, db, fake, n)
}

type channelFunc func(ctx context.Context, row *model.PushMessage) (push.Receipt, error)

func (f channelFunc) Send(ctx context.Context, row *model.PushMessage) (push.Receipt, error) {
	return f(ctx, row)
}

// fallbackFunc adapts a function to push.Fallback.
type fallbackFunc func(row model.PushMessage) string

func (f fallbackFunc) FallbackChannel(_ context.Context, row model.PushMessage) (string, error) {
	return f(row), nil
}

// TestNotFollowingFallsBackToSMS: a user WeChat answers 43004 for, who gave
// a phone number, is marked unfollowed and texted at once, the WeChat
// attempt not counted; one the fallback finds no channel for is recorded
// unreachable.
func TestNotFollowingFallsBackToSMS(t *testing.T) {
	db := testenv.DB(t)
	fake, apiBase := startSMS(t)
	queueSMS(t, db, 2)
	// Both were queued to WeChat while they seemed to follow.
	if err := db.Model(&model.PushMessage{}).Where("1 = 1").Update("channel", model.ChannelWeChatTemplate).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Model(&model.WeChatUser{}).Where("1 = 1").Updates(map[string]any{"subscribed": true, "unsubscribed_at": nil}).Error; err != nil {
		t.Fatal(err)
	}
	notFollowing := push.SenderFunc(func(context.Context, wechat.TemplateMessage) (int64, error) {
		return 0, &wechat.APIError{Code: push.ErrcodeNotSubscribed, Msg: "require subscribe"}
	})
	opt := push.Options{Poll: 5 * time.Millisecond, Fallback: fallbackFunc(func(row model.PushMessage) string {
		if row.OpenID == "texted-0" {
			return model.ChannelSMS
		}
		return ""
	})}
	w, _ := smsWorker(t, db, testenv.Cache(t), apiBase, notFollowing, nil, opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	push.WaitFor(t, 10*time.Second, func() bool {
		return push.CountRows(t, db, "status IN ?", []model.Status{model.StatusSent, model.StatusUnreachable}) == 2
	}, db)
	cancel()
	<-done
	var rows []model.PushMessage
	if err := db.Order("open_id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if r := rows[0]; r.Status != model.StatusSent || r.Channel != model.ChannelSMS || r.Attempts != 1 || len(fake.Sent()) != 1 {
		t.Errorf("fallen back: %s on %s after %d attempts, %d texted", r.Status, r.Channel, r.Attempts, len(fake.Sent()))
	}
	if r := rows[1]; r.Status != model.StatusUnreachable || r.Channel != model.ChannelWeChatTemplate {
		t.Errorf("no fallback: %s on %s", r.Status, r.Channel)
	}
	var following int64
	db.Model(&model.WeChatUser{}).Where("subscribed = ?", true).Count(&following)
	if following != 0 {
		t.Errorf("%d users still marked following after 43004", following)
	}
}

// TestUnfollowedPartyIsTextedTheCaseProgress is the journey: a party who
// gave a phone number with SMS consent and then unfollowed the account is
// texted the next step of their case, once, with the case number and the
// stage; a party without a number is recorded unreachable.
func TestUnfollowedPartyIsTextedTheCaseProgress(t *testing.T) {
	env := handlertest.New(t, handlertest.WithSMS(model.PushCaseEvent))
	fake, apiBase := startSMS(t)
	clerk := env.LoginStaff(model.StaffCaseManager)
	no := env.Unique("京检刑诉〔2026〕") + "号"
	res := env.Do(clerk, http.MethodPost, "/api/staff/cases", map[string]any{
		"case_no": no, "name": "测试案", "cause": "盗窃罪", "unit": "第一检察部",
		"accepted_at": "2026-11-20T09:00:00+08:00", "stage": "审查起诉",
	})
	var c struct{ ID uint64 }
	res.JSON(t, &c)
	if res.Code != http.StatusCreated {
		t.Fatalf("case: %d %s", res.Code, res.Body)
	}
	for i, name := range []string{"张三", "李四"} {
		if r := env.Do(clerk, http.MethodPost, fmt.Sprintf("/api/staff/cases/%d/parties", c.ID),
			map[string]string{"name": name, "role": "被害人", "id_number": handlertest.IDNumber(i + 1)}); r.Code != http.StatusCreated {
			t.Fatalf("party: %d %s", r.Code, r.Body)
		}
	}
	for i, who := range []string{"o-texted", "o-silent"} {
		u := env.LoginUser(who)
		name := []string{"张三", "李四"}[i]
		if r := env.Do(u, http.MethodPost, "/api/h5/bindings", map[string]string{"case_no": no, "role": "party", "name": name,
			"id_number": handlertest.IDNumber(i + 1)}); r.Code != http.StatusCreated {
			t.Fatalf("bind %s: %d %s", who, r.Code, r.Body)
		}
	}
	if r := env.Do(env.LoginUser("o-texted"), http.MethodPut, "/api/h5/me/phone", map[string]any{"phone": "13712345678", "sms_consent": true}); r.Code != http.StatusOK {
		t.Fatalf("phone: %d %s", r.Code, r.Body)
	}
	if err := env.DB.Model(&model.WeChatUser{}).Where("open_id IN ?", []string{"o-texted", "o-silent"}).
		Updates(map[string]any{"subscribed": false, "unsubscribed_at": env.Clock.Now()}).Error; err != nil {
		t.Fatal(err)
	}
	if err := env.DB.Where("1 = 1").Delete(&model.PushMessage{}).Error; err != nil { // the binding results
		t.Fatal(err)
	}
	if r := env.Do(clerk, http.MethodPost, fmt.Sprintf("/api/staff/cases/%d/events", c.ID), map[string]any{"stage": "提起公诉"}); r.Code != http.StatusCreated {
		t.Fatalf("event: %d %s", r.Code, r.Body)
	}

	client, err := sms.NewClient(sms.Config{SecretID: smstest.SecretID, SecretKey: smstest.SecretKey,
		SDKAppID: smstest.SDKAppID, Sign: smstest.Sign, APIBase: apiBase})
	if err != nil {
		t.Fatal(err)
	}
	w := push.New(env.DB, env.Cache, noWeChat(t), push.NewMetrics(prometheus.NewRegistry()), nil, push.Options{
		Poll: 5 * time.Millisecond, Now: env.Clock.Now, Fallback: env.Svc,
		Channels: map[string]push.ChannelSender{model.ChannelSMS: sms.NewSender(client, env.DB, env.Sealer, env.Cache,
			sms.SenderOptions{Templates: map[string]string{model.PushCaseEvent: "CE1"}, Now: env.Clock.Now})},
	})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		w.Run(ctx)
	}()
	push.WaitFor(t, 10*time.Second, func() bool { return push.CountRows(t, env.DB, "status = ?", model.StatusSent) == 1 }, env.DB)
	cancel()
	<-stopped

	sent := fake.Sent()
	if len(sent) != 1 || sent[0].Phone != "+8613712345678" || sent[0].Params[0] != no || sent[0].Params[1] != "提起公诉" {
		t.Fatalf("texts %+v", sent)
	}
	var silent model.PushMessage
	if err := env.DB.Where("open_id = ?", "o-silent").Take(&silent).Error; err != nil {
		t.Fatal(err)
	}
	if silent.Status != model.StatusUnreachable {
		t.Fatalf("the party without a number: %s", silent.Status)
	}
	if strings.Contains(env.Logs.String(), "13712345678") {
		t.Fatal("the number is in the log")
	}
}
