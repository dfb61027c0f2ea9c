package service

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
	"zsjc/pdfmark"
)

// Online file review (互联网阅卷): a lawyer with an approved binding asks
// for a case's electronic file; the unit's staff attach PDFs and approve
// with an expiry and a download limit per file, or reject. Every download
// is a fresh copy watermarked with who downloads it and when, encrypted
// with the request's password, which reaches the lawyer apart from the
// link (PasswordDeliverer, or shown once per fresh login on the H5 page).

const (
	efileWhat = "线上阅卷申请"
	efileItem = "线上阅卷"
	// MaxEfileSize caps one PDF of an electronic file.
	MaxEfileSize = 200 << 20
	// Approval defaults and bounds.
	EfileDefaultDays  = 15
	EfileMaxDays      = 90
	EfileDefaultLimit = 3
	EfileMaxLimit     = 20
	// efileWarnBefore is how long before expiry the lawyer is warned.
	efileWarnBefore = 48 * time.Hour
	// efilePasswordLength is the download password's length, of efilePasswordChars.
	efilePasswordLength = 10
	efilePasswordChars  = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
)

var (
	errEfileNoFiles  = model.NewError(model.KindConflict, "efile_no_files", "请先上传电子卷宗（PDF）再批准")
	errEfileExpired  = model.NewError(model.KindGone, "efile_expired", "阅卷期限已过，电子卷宗不能再下载；如需继续阅卷请重新申请")
	errEfileUsedUp   = model.NewError(model.KindGone, "efile_exhausted", "该文件的下载次数已用完；如需再次下载请重新申请")
	errEfileEnded    = model.NewError(model.KindGone, "efile_ended", "该申请已结束，电子卷宗不能下载")
	errEfilePending  = model.NewError(model.KindConflict, "efile_pending", "申请尚未批准，暂不能下载")
	errEfileNotPDF   = model.Invalid(map[string]string{"file": "文件须为有效的 PDF（无密码保护）"})
	errEfileNoFont   = model.NewError(model.KindUnavailable, "efile_no_font", "电子卷宗水印暂不可用，请稍后再试或联系案件管理部门")
	errEfileDelivery = errors.New("password delivery failed")
)

// PasswordDeliverer sends an approved request's download password to the
// lawyer through a channel apart from the H5 page (SMS). When the Service
// has one and it succeeds, the page never shows the password.
type PasswordDeliverer interface {
	DeliverPassword(ctx context.Context, to PasswordRecipient, password string) error
}

// PasswordRecipient is whom a password goes to, and what it opens.
type PasswordRecipient struct {
	UserID    uint64
	Name      string
	Phone     string // the lawyer's mobile number agreed for SMS, opened from its seal
	RequestID uint64
	CaseNo    string
	ExpiresAt time.Time
}

// EfileInput is a lawyer's request.
type EfileInput struct {
	CaseID uint64 `json:"case_id"`
	Note   string `json:"note"`
}

// EfileDecision is staff approving: days until expiry and copies per
// file, both optional.
type EfileDecision struct {
	ExpiresDays   *int `json:"expires_days"`
	DownloadLimit *int `json:"download_limit"`
}

// EfileFileView is one PDF of a request as the lawyer and staff see it.
type EfileFileView struct {
	ID            uint64    `json:"id"`
	Name          string    `json:"name"`
	Pages         int       `json:"pages"`
	Size          int64     `json:"size"`
	Downloads     int       `json:"downloads"`
	DownloadsLeft int       `json:"downloads_left"`
	CreatedAt     time.Time `json:"created_at"`
}

// EfileView is an online file review request with its files.
type EfileView struct {
	requestFields
	StatusLabel   string          `json:"status_label"`
	CaseNo        string          `json:"case_no"`
	CaseName      string          `json:"case_name"`
	ExpiresAt     *time.Time      `json:"expires_at"`
	DownloadLimit int             `json:"download_limit"`
	Files         []EfileFileView `json:"files"`
	// Password is present only in the first detail view of a session
	// started after approval, when no other channel delivered it.
	Password string `json:"password,omitempty"`
	// PasswordSent says the password went out by another channel (SMS).
	PasswordSent bool `json:"password_sent"`
	// Lawyer is who asked (staff views only).
	Lawyer *LawyerInfo `json:"lawyer,omitempty"`
	ReplyStatus
}

// EfileDownloadView is one line of a request's download log.
type EfileDownloadView struct {
	ID       uint64    `json:"id"`
	FileID   uint64    `json:"file_id"`
	FileName string    `json:"file_name"`
	Lawyer   string    `json:"lawyer"`
	IP       string    `json:"ip"`
	At       time.Time `json:"at"`
}

// EfileCopy is a watermarked, encrypted copy being downloaded: a temporary
// file removed by Close.
type EfileCopy struct {
	Name string
	Size int64
	At   time.Time
	*os.File
}

// Close closes and removes the temporary copy.
func (c EfileCopy) Close() error {
	err := c.File.Close()
	if rerr := os.Remove(c.File.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	return err
}

// RequestEfile files a request for the case the user is an approved lawyer
// of, unless its type is excluded from online review.
func (s *Service) RequestEfile(ctx context.Context, userID uint64, in EfileInput) (EfileView, error) {
	fe := model.FieldErrors{}
	if in.CaseID == 0 {
		fe.Add("case_id", "请选择案件")
	}
	checkText(fe, "note", in.Note, maxNoteLength)
	if err := fe.Err(); err != nil {
		return EfileView{}, err
	}
	r := model.EfileRequest{UserID: userID, CaseID: in.CaseID, Note: strings.TrimSpace(in.Note),
		Status: model.StatusPending, ReplyBy: s.replyDeadline()}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.checkLiveEfiles(tx, userID); err != nil {
			return err
		}
		binding, err := approvedLawyerBinding(lockForUpdate(tx), userID, in.CaseID)
		if err != nil {
			return err
		}
		var c model.Case
		if err := tx.Select("id", "type").Take(&c, in.CaseID).Error; err != nil {
			return notFoundIf(err)
		}
		if s.efileExcluded(c.Type) {
			return model.Invalid(map[string]string{"case_id": fmt.Sprintf("%s案件不提供线上阅卷，请预约到阅卷室现场阅卷", c.Type)})
		}
		r.BindingID, r.UnitID = binding.ID, binding.UnitID
		return tx.Create(&r).Error
	})
	if err != nil {
		return EfileView{}, fmt.Errorf("request efile for case %d: %w", in.CaseID, err)
	}
	return s.efileView(ctx, r.ID, false)
}

// efileExcluded reports whether cases of this type are kept out of online review.
func (s *Service) efileExcluded(caseType string) bool {
	t := strings.TrimSpace(caseType)
	return t != "" && slices.Contains(s.opt.EfileExcludedCaseTypes, t)
}

// MyEfiles lists the user's requests, newest first.
func (s *Service) MyEfiles(ctx context.Context, userID uint64) ([]EfileView, error) {
	db := s.db.WithContext(ctx)
	return listRows(db, db.Where("user_id = ?", userID).Order("id DESC"), s.efileViews, false,
		fmt.Sprintf("efile requests of user %d", userID))
}

// MyEfile is one of the user's requests. The first view of an approved
// request in a session started after the approval carries the password
// (unless another channel delivered it): the claim is a conditional
// UPDATE on the session's start, so that session never sees it again and
// a later login sees it once more.
func (s *Service) MyEfile(ctx context.Context, u UserSession, id uint64) (EfileView, error) {
	db := s.db.WithContext(ctx)
	var r model.EfileRequest
	if err := db.Where("id = ? AND user_id = ?", id, u.UserID).Take(&r).Error; err != nil {
		return EfileView{}, fmt.Errorf("efile %d: %w", id, notFoundIf(err))
	}
	views, err := s.efileViews(db, []model.EfileRequest{r}, false)
	if err != nil {
		return EfileView{}, err
	}
	v := views[0]
	login := u.CreatedAt.UTC().Truncate(time.Millisecond)
	if v.Status != model.StatusApproved || r.PasswordSentAt != nil || r.DecidedAt == nil || !login.After(*r.DecidedAt) {
		return v, nil
	}
	res := db.Model(&model.EfileRequest{}).
		Where("id = ? AND user_id = ? AND status = ? AND password_sent_at IS NULL", id, u.UserID, model.StatusApproved).
		Where("password_shown_login IS NULL OR password_shown_login < ?", login).
		Update("password_shown_login", login)
	if res.Error != nil {
		return EfileView{}, fmt.Errorf("claim password view of efile %d: %w", id, res.Error)
	}
	if res.RowsAffected == 1 {
		if v.Password, err = s.sealer.Open(r.PasswordEnc); err != nil {
			return EfileView{}, fmt.Errorf("open password of efile %d: %w", id, err)
		}
	}
	return v, nil
}

// DownloadEfile makes a fresh copy of file fileID of the user's request id:
// watermarked on every page with the lawyer's name, licence number and
// firm, the time and the request number, and encrypted with the request's
// password. The copy is written to a temporary file before the download
// is counted, so a failed stamp costs no download; the count is a guarded
// increment, so parallel downloads never exceed the limit. The caller
// streams the copy and closes it (which removes it).
func (s *Service) DownloadEfile(ctx context.Context, userID uint64, ip string, id, fileID uint64) (EfileCopy, error) {
	db := s.db.WithContext(ctx)
	var r model.EfileRequest
	if err := db.Where("id = ? AND user_id = ?", id, userID).Take(&r).Error; err != nil {
		return EfileCopy{}, fmt.Errorf("efile %d: %w", id, notFoundIf(err))
	}
	var f model.EfileFile
	if err := db.Where("id = ? AND request_id = ?", fileID, id).Take(&f).Error; err != nil {
		return EfileCopy{}, fmt.Errorf("file %d of efile %d: %w", fileID, id, notFoundIf(err))
	}
	now := s.Now()
	if err := s.downloadable(r, f, now); err != nil {
		return EfileCopy{}, err
	}
	var lp model.LawyerProfile
	if err := db.Where("user_id = ?", userID).Take(&lp).Error; err != nil {
		return EfileCopy{}, fmt.Errorf("lawyer of efile %d: %w", id, notFoundIf(err))
	}
	password, err := s.sealer.Open(r.PasswordEnc)
	if err != nil {
		return EfileCopy{}, fmt.Errorf("open password of efile %d: %w", id, err)
	}
	cp, err := s.stampCopy(ctx, f, []string{
		fmt.Sprintf("%s 律师  执业证号 %s", lp.Name, lp.LicenseNo),
		lp.Firm,
		fmt.Sprintf("%s 下载  线上阅卷申请第 %d 号", s.localTimeLabel(now), r.ID),
	}, password)
	if err != nil {
		return EfileCopy{}, fmt.Errorf("stamp file %d of efile %d: %w", fileID, id, err)
	}
	cp.At = now
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := lockStatus(tx, &model.EfileRequest{}, id, userID); err != nil {
			return err
		}
		var cur model.EfileRequest
		if err := tx.Take(&cur, id).Error; err != nil {
			return err
		}
		if err := s.downloadable(cur, model.EfileFile{}, now); err != nil {
			return err
		}
		res := tx.Model(&model.EfileFile{}).Where("id = ? AND request_id = ? AND downloads < ?", fileID, id, cur.DownloadLimit).
			Update("downloads", gorm.Expr("downloads + 1"))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errEfileUsedUp
		}
		return tx.Create(&model.EfileDownload{RequestID: id, FileID: fileID, FileName: cp.Name, UserID: userID, IP: ip, At: now}).Error
	})
	if err != nil {
		cp.Close()
		return EfileCopy{}, fmt.Errorf("count download of file %d of efile %d: %w", fileID, id, err)
	}
	return cp, nil
}

// downloadable refuses a download of f (zero: any file) from r at now.
func (s *Service) downloadable(r model.EfileRequest, f model.EfileFile, now time.Time) error {
	switch {
	case r.Status == model.StatusPending:
		return errEfilePending
	case r.Status == model.StatusExpired || (r.Status == model.StatusApproved && r.ExpiresAt != nil && !now.Before(*r.ExpiresAt)):
		return errEfileExpired
	case r.Status != model.StatusApproved:
		return errEfileEnded
	case f.ID != 0 && f.Downloads >= r.DownloadLimit:
		return errEfileUsedUp
	}
	return nil
}

// stampCopy writes the watermarked, encrypted copy of f to a temporary
// file (only ever the stamped copy touches the disk outside the file
// store) and rewinds it.
func (s *Service) stampCopy(ctx context.Context, f model.EfileFile, lines []string, password string) (EfileCopy, error) {
	// A copy costs its file's parsed objects and the watermark font's
	// subset in memory: at most a few are made at once per instance.
	select {
	case s.stampSlots <- struct{}{}:
		defer func() { <-s.stampSlots }()
	case <-ctx.Done():
		return EfileCopy{}, ctx.Err()
	}
	src, err := s.files.Open(ctx, f.FileKey)
	if err != nil {
		return EfileCopy{}, err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(s.opt.EfileTempDir, "efile-*.pdf")
	if err != nil {
		return EfileCopy{}, fmt.Errorf("temporary copy: %w", err)
	}
	cp := EfileCopy{Name: f.Name, File: tmp}
	if err := pdfmark.Stamp(src, tmp, lines, password); err != nil {
		cp.Close()
		if errors.Is(err, pdfmark.ErrNoFont) {
			s.log.Error("efile watermark font missing", "err", err)
			return EfileCopy{}, errEfileNoFont
		}
		return EfileCopy{}, err
	}
	if cp.Size, err = tmp.Seek(0, io.SeekCurrent); err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		cp.Close()
		return EfileCopy{}, fmt.Errorf("rewind copy: %w", err)
	}
	return cp, nil
}

// StaffEfiles is the staff queue (optionally of one status), the most
// urgent reply deadline first; reads are audited (lawyers' profiles).
func (s *Service) StaffEfiles(ctx context.Context, a Actor, status string, p Paging) (Page[EfileView], error) {
	if status != "" && !isMachineStatus(model.EfileMachine, model.Status(status)) {
		return Page[EfileView]{}, model.Invalid(map[string]string{"status": "未知的申请状态"})
	}
	if err := s.Audit(ctx, a, "efile.list", "efile-requests", "status="+status); err != nil {
		return Page[EfileView]{}, err
	}
	db := s.db.WithContext(ctx)
	q := a.Scope.where(db.Model(&model.EfileRequest{}), "unit_id")
	if status != "" {
		q = q.Where("status = ?", status)
	}
	return pageRows(db, q, p, "reply_by, id", s.efileViews, "efile queue")
}

// AddEfileFile stores a PDF of the request's electronic file while the
// request is pending or approved: checked by content (magic, then pdfcpu's
// validation), its page count kept.
func (s *Service) AddEfileFile(ctx context.Context, a Actor, id uint64, fileName string, r io.Reader) (EfileFileView, error) {
	db := s.db.WithContext(ctx)
	// Check the request before taking the upload's bytes to disk.
	if err := s.efileAcceptsFiles(db, a, id); err != nil {
		return EfileFileView{}, fmt.Errorf("add file to efile %d: %w", id, err)
	}
	stored, err := s.storeFile(ctx, r, MaxEfileSize, documentTypes)
	if err != nil {
		return EfileFileView{}, err
	}
	pages, err := s.storedPages(ctx, stored.Key)
	if err != nil {
		s.dropFile(ctx, stored.Key)
		return EfileFileView{}, err
	}
	f := model.EfileFile{RequestID: id, Name: cleanFileName(fileName, "卷宗.pdf"), FileKey: stored.Key, Size: stored.Size, Pages: pages}
	if a.StaffID != 0 {
		by := a.StaffID
		f.CreatedBy = &by
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := lockInScope(tx, &model.EfileRequest{}, id, a); err != nil {
			return err
		}
		if err := s.efileAcceptsFiles(tx, a, id); err != nil {
			return err
		}
		if err := tx.Create(&f).Error; err != nil {
			return fmt.Errorf("record efile file: %w", err)
		}
		return s.audit(tx, a, "efile.file", efileTarget(id), fmt.Sprintf("file:%d %d页", f.ID, f.Pages))
	})
	if err != nil {
		s.dropFile(ctx, stored.Key)
		return EfileFileView{}, fmt.Errorf("add file to efile %d: %w", id, err)
	}
	return EfileFileView{ID: f.ID, Name: f.Name, Pages: f.Pages, Size: f.Size, CreatedAt: f.CreatedAt}, nil
}

// efileAcceptsFiles answers ErrNotFound outside the actor's scope and a
// state conflict unless the request is pending or approved (and not past
// its expiry).
func (s *Service) efileAcceptsFiles(db *gorm.DB, a Actor, id uint64) error {
	var r model.EfileRequest
	if err := db.Select("id", "unit_id", "status", "expires_at").Take(&r, id).Error; err != nil {
		return notFoundIf(err)
	}
	if !a.Scope.Contains(r.UnitID) {
		return model.ErrNotFound
	}
	if st := s.efileStatus(r); st != model.StatusPending && st != model.StatusApproved {
		return model.StateConflict(efileWhat, st)
	}
	return nil
}

// storedPages validates a stored upload as a PDF and counts its pages.
func (s *Service) storedPages(ctx context.Context, key string) (int, error) {
	f, err := s.files.Open(ctx, key)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := pdfmark.Pages(f)
	if err != nil || n == 0 {
		return 0, errEfileNotPDF
	}
	return n, nil
}

// ApproveEfile approves a pending request that has at least one file:
// it fixes the expiry and the download limit, makes the password and
// tells the lawyer.
func (s *Service) ApproveEfile(ctx context.Context, a Actor, id uint64, in EfileDecision) (EfileView, error) {
	fe := model.FieldErrors{}
	days := boundedInt(fe, "expires_days", in.ExpiresDays, EfileDefaultDays, EfileMaxDays, "阅卷期限")
	limit := boundedInt(fe, "download_limit", in.DownloadLimit, EfileDefaultLimit, EfileMaxLimit, "下载次数")
	if err := fe.Err(); err != nil {
		return EfileView{}, err
	}
	password, err := newEfilePassword()
	if err != nil {
		return EfileView{}, err
	}
	sealed, err := s.sealer.Seal(password)
	if err != nil {
		return EfileView{}, fmt.Errorf("seal efile password: %w", err)
	}
	expires := s.Now().Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Second)
	set := s.decided(a)
	set["expires_at"], set["download_limit"], set["password_enc"] = expires, limit, sealed
	if !s.Now().Before(expires.Add(-efileWarnBefore)) {
		set["reminded_at"] = s.Now() // the approval push already says when it ends
	}
	v, err := s.decideEfile(ctx, a, id, model.StatusApproved, set, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&model.EfileFile{}).Where("request_id = ?", id).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return errEfileNoFiles
		}
		return nil
	})
	if err != nil {
		return v, err
	}
	if s.passwords != nil {
		if err := s.deliverPassword(ctx, id, password); err != nil {
			s.log.Warn("efile password not delivered; the H5 page shows it once per login", "efile_id", id, "err", err)
		} else {
			v.PasswordSent = true
		}
	}
	return v, nil
}

// boundedInt reads an optional whole number in 1..max (def when absent).
func boundedInt(fe model.FieldErrors, field string, v *int, def, max int, what string) int {
	if v == nil {
		return def
	}
	if *v < 1 || *v > max {
		fe.Add(field, fmt.Sprintf("%s须在 1 到 %d 之间", what, max))
	}
	return *v
}

// newEfilePassword draws a download password from the system random source.
func newEfilePassword() (string, error) {
	var b strings.Builder
	for range efilePasswordLength {
		i, err := rand.Int(rand.Reader, big.NewInt(int64(len(efilePasswordChars))))
		if err != nil {
			return "", fmt.Errorf("efile password: %w", err)
		}
		b.WriteByte(efilePasswordChars[i.Int64()])
	}
	return b.String(), nil
}

// deliverPassword hands the password to the PasswordDeliverer and records
// that it went out.
func (s *Service) deliverPassword(ctx context.Context, id uint64, password string) error {
	db := s.db.WithContext(ctx)
	var r model.EfileRequest
	if err := db.Take(&r, id).Error; err != nil {
		return err
	}
	var lp model.LawyerProfile
	if err := db.Where("user_id = ?", r.UserID).Take(&lp).Error; err != nil {
		return fmt.Errorf("lawyer of efile %d: %w", id, err)
	}
	var u model.WeChatUser
	if err := db.Select("id", "phone_enc", "sms_consent").Take(&u, r.UserID).Error; err != nil {
		return fmt.Errorf("user of efile %d: %w", id, err)
	}
	// As for SMS notices (reachability.go): only with the lawyer's SMS
	// consent, to the number they gave for SMS, else their profile's.
	sealed := u.PhoneEnc
	if len(sealed) == 0 {
		sealed = lp.PhoneEnc
	}
	phone := ""
	if u.SMSConsent && len(sealed) > 0 {
		var err error
		if phone, err = s.sealer.Open(sealed); err != nil {
			return fmt.Errorf("open phone of lawyer %d: %w", r.UserID, err)
		}
	}
	if phone == "" {
		return fmt.Errorf("%w: the lawyer left no number agreed for SMS", errEfileDelivery)
	}
	c, err := caseLabel(db, r.CaseID)
	if err != nil {
		return err
	}
	to := PasswordRecipient{UserID: r.UserID, Name: lp.Name, Phone: phone, RequestID: id, CaseNo: c.CaseNo, ExpiresAt: *r.ExpiresAt}
	if err := s.passwords.DeliverPassword(ctx, to, password); err != nil {
		return fmt.Errorf("%w: %w", errEfileDelivery, err)
	}
	return db.Model(&model.EfileRequest{}).Where("id = ?", id).Update("password_sent_at", s.Now()).Error
}

// RejectEfile refuses a pending request, with a reason.
func (s *Service) RejectEfile(ctx context.Context, a Actor, id uint64, reason string) (EfileView, error) {
	if err := requiredReason(reason); err != nil {
		return EfileView{}, err
	}
	set := s.decided(a)
	set["reason"] = strings.TrimSpace(reason)
	return s.decideEfile(ctx, a, id, model.StatusRejected, set, nil)
}

// decideEfile runs one staff decision: check (if any) and a guarded
// transition, an audit row and a push to the lawyer, in one transaction.
func (s *Service) decideEfile(ctx context.Context, a Actor, id uint64, to model.Status, set map[string]any, check func(tx *gorm.DB) error) (EfileView, error) {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := lockInScope(tx, &model.EfileRequest{}, id, a); err != nil {
			return err
		}
		cur, err := lockStatus(tx, &model.EfileRequest{}, id, 0)
		if err != nil {
			return err
		}
		if !model.EfileMachine.Can(cur.Status, to) {
			return model.StateConflict(efileWhat, cur.Status)
		}
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		if err := efileKind.transition(tx, id, 0, to, set); err != nil {
			return err
		}
		var r model.EfileRequest
		if err := tx.Take(&r, id).Error; err != nil {
			return err
		}
		target := efileTarget(id)
		if err := s.audit(tx, a, "efile."+string(to), target, r.Reason); err != nil {
			return err
		}
		c, err := caseLabel(tx, r.CaseID)
		if err != nil {
			return err
		}
		data := map[string]string{"case_no": c.CaseNo, "case_name": c.Name, "item": efileItem, "result": to.Label(), "reason": r.Reason}
		if r.ExpiresAt != nil {
			data["time"] = s.localTimeLabel(*r.ExpiresAt)
			data["reason"] = "下载截止 " + s.localTimeLabel(*r.ExpiresAt)
		}
		path := efilePath(id)
		if to == model.StatusApproved {
			// Through a fresh WeChat login: its first view shows the password.
			path = "/h5/login?next=" + url.QueryEscape(path)
		}
		err = s.lawyerPush(tx, r.UserID, Push{Kind: model.PushEfileResult, UnitID: r.UnitID, Cause: target + ":" + string(to),
			Path: path, Data: data})
		if err != nil {
			return err
		}
		return s.inviteRating(tx, efileOwned, id, r.UserID, r.UnitID, to, c.Name)
	})
	if err != nil {
		return EfileView{}, fmt.Errorf("%s efile %d: %w", to, id, err)
	}
	return s.efileView(ctx, id, true)
}

func efileTarget(id uint64) string { return fmt.Sprintf("efile:%d", id) }
func efilePath(id uint64) string   { return fmt.Sprintf("/h5/efile-requests/%d", id) }

// EfileDownloads is the download log of a request in the actor's scope,
// newest first; reading it is audited.
func (s *Service) EfileDownloads(ctx context.Context, a Actor, id uint64, p Paging) (Page[EfileDownloadView], error) {
	db := s.db.WithContext(ctx)
	var r model.EfileRequest
	if err := db.Select("id", "unit_id", "user_id").Take(&r, id).Error; err != nil {
		return Page[EfileDownloadView]{}, notFoundIf(err)
	}
	if !a.Scope.Contains(r.UnitID) {
		return Page[EfileDownloadView]{}, model.ErrNotFound
	}
	if err := s.Audit(ctx, a, "efile.downloads", efileTarget(id), ""); err != nil {
		return Page[EfileDownloadView]{}, err
	}
	page, err := pageOf[model.EfileDownload](db.Model(&model.EfileDownload{}).Where("request_id = ?", id), p, "at DESC, id DESC",
		fmt.Sprintf("downloads of efile %d", id))
	if err != nil {
		return Page[EfileDownloadView]{}, err
	}
	var files []model.EfileFile
	if err := db.Select("id", "name").Where("request_id = ?", id).Find(&files).Error; err != nil {
		return Page[EfileDownloadView]{}, fmt.Errorf("files of efile %d: %w", id, err)
	}
	names := map[uint64]string{}
	for _, f := range files {
		names[f.ID] = f.Name
	}
	parties, err := loadRequestParties(db, nil, []uint64{r.UserID})
	if err != nil {
		return Page[EfileDownloadView]{}, err
	}
	lawyer := ""
	if l := parties.lawyer(r.UserID); l != nil {
		lawyer = l.Name
	}
	return MapPage(page, func(rows []model.EfileDownload) []EfileDownloadView {
		out := make([]EfileDownloadView, len(rows))
		for i, d := range rows {
			out[i] = EfileDownloadView{ID: d.ID, FileID: d.FileID, FileName: cmp.Or(d.FileName, names[d.FileID]), Lawyer: lawyer, IP: d.IP, At: d.At}
		}
		return out
	}), nil
}

// ExpireEfiles moves the approved requests past their expiry to expired
// (guarded, so instances racing each move a request once) and returns how
// many it moved. Downloads check the expiry themselves; this keeps the
// stored state and the queues true.
func (s *Service) ExpireEfiles(ctx context.Context) (int, error) {
	db := s.db.WithContext(ctx)
	var ids []uint64
	if err := db.Model(&model.EfileRequest{}).Where("status = ? AND expires_at <= ?", model.StatusApproved, s.Now()).
		Order("id").Limit(maxQueueRows).Pluck("id", &ids).Error; err != nil {
		return 0, fmt.Errorf("expired efiles: %w", err)
	}
	moved := 0
	for _, id := range ids {
		err := s.tx(ctx, func(tx *gorm.DB) error { return efileKind.transition(tx, id, 0, model.StatusExpired, map[string]any{}) })
		var de *model.Error
		switch {
		case errors.As(err, &de) && de.Kind == model.KindConflict:
			// cancelled or expired meanwhile
		case err != nil:
			return moved, fmt.Errorf("expire efile %d: %w", id, err)
		default:
			moved++
		}
	}
	return moved, nil
}

// efileStatus is the request's state as people see it: an approved
// request past its expiry is expired even before ExpireEfiles moved it.
func (s *Service) efileStatus(r model.EfileRequest) model.Status {
	if r.Status == model.StatusApproved && r.ExpiresAt != nil && !s.Now().Before(*r.ExpiresAt) {
		return model.StatusExpired
	}
	return r.Status
}

func (s *Service) efileView(ctx context.Context, id uint64, staff bool) (EfileView, error) {
	return viewOne(s.db.WithContext(ctx), id, s.efileViews, staff, "efile")
}

// efileViews decorates requests with their cases and files (and, for
// staff, the lawyers).
func (s *Service) efileViews(db *gorm.DB, rows []model.EfileRequest, staff bool) ([]EfileView, error) {
	ids, caseIDs, userIDs := make([]uint64, len(rows)), make([]uint64, len(rows)), make([]uint64, 0, len(rows))
	for i, r := range rows {
		ids[i], caseIDs[i] = r.ID, r.CaseID
		if staff {
			userIDs = append(userIDs, r.UserID)
		}
	}
	files := map[uint64][]model.EfileFile{}
	if len(rows) > 0 {
		var list []model.EfileFile
		if err := db.Where("request_id IN ?", ids).Order("id").Find(&list).Error; err != nil {
			return nil, fmt.Errorf("load efile files: %w", err)
		}
		for _, f := range list {
			files[f.RequestID] = append(files[f.RequestID], f)
		}
	}
	parties, err := loadRequestParties(db, caseIDs, userIDs)
	if err != nil {
		return nil, err
	}
	views := make([]EfileView, len(rows))
	for i, r := range rows {
		c := parties.cases[r.CaseID]
		st := s.efileStatus(r)
		v := EfileView{requestFields: requestFields{ID: r.ID, BindingID: r.BindingID, CaseID: r.CaseID, Status: st,
			Note: r.Note, ReplyBy: r.ReplyBy, Reason: r.Reason, DecidedAt: r.DecidedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt},
			StatusLabel: st.Label(), CaseNo: c.CaseNo, CaseName: c.Name, ExpiresAt: r.ExpiresAt, DownloadLimit: r.DownloadLimit,
			Files: []EfileFileView{}, PasswordSent: r.PasswordSentAt != nil, ReplyStatus: s.replyStatus(r.Status, r.ReplyBy)}
		for _, f := range files[r.ID] {
			left := 0
			if st == model.StatusApproved {
				left = max(r.DownloadLimit-f.Downloads, 0)
			}
			v.Files = append(v.Files, EfileFileView{ID: f.ID, Name: f.Name, Pages: f.Pages, Size: f.Size, Downloads: f.Downloads,
				DownloadsLeft: left, CreatedAt: f.CreatedAt})
		}
		if staff {
			v.Lawyer = parties.lawyer(r.UserID)
		}
		views[i] = v
	}
	return views, nil
}

// dueEfileReminders lists the approved requests expiring within two days
// whose warning has not gone out.
func dueEfileReminders(s *Service, db *gorm.DB) ([]dueReminder, error) {
	now := s.Now()
	var rows []model.EfileRequest
	err := db.Where("status = ? AND reminded_at IS NULL AND expires_at > ? AND expires_at <= ?",
		model.StatusApproved, now, now.Add(efileWarnBefore)).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("due efile reminders: %w", err)
	}
	due := make([]dueReminder, 0, len(rows))
	for _, r := range rows {
		due = append(due, dueReminder{id: r.ID, userID: r.UserID, push: func(tx *gorm.DB) (Push, error) {
			c, err := caseLabel(tx, r.CaseID)
			return Push{Kind: model.PushEfileExpiring, UnitID: r.UnitID, Cause: fmt.Sprintf("reminder:efile:%d", r.ID), Path: efilePath(r.ID),
				Data: map[string]string{"case_no": c.CaseNo, "case_name": c.Name, "item": efileItem,
					"time": s.localTimeLabel(*r.ExpiresAt)}}, err
		}})
	}
	return due, nil
}
