package service

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
	"zsjc/secure"
)

// Binding errors.
var (
	// ErrBindingMismatch is the one answer to a party binding that does not
	// match: it never says whether the case exists or which field was wrong.
	ErrBindingMismatch   = model.NewError(model.KindInvalid, "binding_mismatch", "信息不匹配，请核对案号、姓名和身份证号")
	ErrAlreadyBound      = model.NewError(model.KindConflict, "already_bound", "您已绑定或申请绑定该案件")
	ErrLawyerProfile     = model.NewError(model.KindForbidden, "lawyer_profile_required", "请先填写律师信息（姓名、执业证号、律所、电话）")
	ErrBindingCaseAbsent = model.NewError(model.KindConflict, "case_unknown", "系统中没有该案号的案件，请驳回并说明理由")
	ErrReasonRequired    = model.Invalid(map[string]string{"reason": "请填写理由"})
)

// Reasons recorded when users end a binding themselves, and what a
// binding is called in state-conflict messages.
const (
	reasonUnbound   = "用户解除绑定"
	reasonWithdrawn = "用户撤回申请"
	bindingWhat     = "绑定"
	caseNoteUnknown = "案号不存在"
)

// BindInput is an H5 binding request (docs/design.md §7.2).
type BindInput struct {
	CaseNo   string `json:"case_no"`
	Role     string `json:"role"`
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	// Materials are upload ids (lawyers): a 委托书 is required.
	Materials []uint64 `json:"materials"`
}

// BindingView is a binding as its user sees it. The case id and name
// appear only once approved, so a pending request reveals nothing about
// the case number entered.
type BindingView struct {
	ID        uint64       `json:"id"`
	CaseNo    string       `json:"case_no"`
	Role      string       `json:"role"`
	Status    model.Status `json:"status"`
	CaseID    uint64       `json:"case_id,omitempty"`
	CaseName  string       `json:"case_name,omitempty"`
	Reason    string       `json:"reason,omitempty"`
	DecidedAt *time.Time   `json:"decided_at,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
}

func bindingView(b model.Binding, caseName string) BindingView {
	v := BindingView{ID: b.ID, CaseNo: b.CaseNo, Role: b.Role, Status: b.Status, Reason: b.Reason,
		DecidedAt: b.DecidedAt, CreatedAt: b.CreatedAt}
	if b.Status == model.StatusApproved {
		v.CaseID, v.CaseName = b.CaseID, caseName
	}
	return v
}

// Bind handles a binding request from the H5 user: a party is matched
// against the case's party list and approved at once; a lawyer's request
// waits for staff.
func (s *Service) Bind(ctx context.Context, u UserSession, ip string, in BindInput) (BindingView, error) {
	in.CaseNo = strings.TrimSpace(in.CaseNo)
	fe := model.FieldErrors{}
	textField(fe, "case_no", in.CaseNo, true, 64)
	switch in.Role {
	case model.RoleParty:
		in.Name = textField(fe, "name", in.Name, true, 64)
		if !secure.ValidIDNumber(in.IDNumber) {
			fe.Add("id_number", "身份证号码格式不正确（18 位，末位校验码）")
		}
		if err := fe.Err(); err != nil {
			return BindingView{}, err
		}
		return s.bindParty(ctx, u, ip, in)
	case model.RoleLawyer:
		if len(in.Materials) == 0 {
			fe.Add("materials", "请上传委托书")
		} else if len(in.Materials) > 10 {
			fe.Add("materials", "材料不能超过 10 份")
		} else if slices.ContainsFunc(in.Materials, func(id uint64) bool { return id == 0 || id > math.MaxInt64 }) {
			fe.Add("materials", "材料不存在，请重新上传")
		}
		if err := fe.Err(); err != nil {
			return BindingView{}, err
		}
		return s.bindLawyer(ctx, u, in)
	default:
		fe.Add("role", "须为 lawyer 或 party")
		return BindingView{}, fe.Err()
	}
}

func (s *Service) bindParty(ctx context.Context, u UserSession, ip string, in BindInput) (BindingView, error) {
	guard, err := s.guardBindAttempt(ctx, u.OpenID, in.CaseNo, ip)
	if err != nil {
		return BindingView{}, err
	}
	defer guard.release(ctx)
	// Every configured key's hash, so rows not yet rekeyed still match.
	hashes := s.sealer.Hashes(secure.NormalizeIDNumber(in.IDNumber))
	var b model.Binding
	var c model.Case
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.requireConsent(tx, u.UserID, PurposeIDNumber); err != nil {
			return err
		}
		// One query whether or not the case exists, so the answer takes
		// the same path either way.
		var p model.Party
		err := tx.Joins("JOIN cases ON cases.id = parties.case_id").
			Where("cases.case_no = ? AND parties.id_number_hash IN ? AND parties.name = ?", in.CaseNo, hashes, in.Name).
			Take(&p).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrBindingMismatch
		}
		if err != nil {
			return fmt.Errorf("match party: %w", err)
		}
		if err := tx.Take(&c, p.CaseID).Error; err != nil {
			return fmt.Errorf("load case %d: %w", p.CaseID, err)
		}
		if err := checkNotRevoked(tx, u.UserID, c.ID); err != nil {
			return err
		}
		now := s.Now()
		b = model.Binding{UserID: u.UserID, CaseID: c.ID, UnitID: c.UnitID, CaseNo: c.CaseNo, Role: model.RoleParty,
			Status: model.StatusApproved, LiveKey: model.LiveKey(u.UserID, c.ID), PartyID: &p.ID, DecidedAt: &now,
			ReplyBy: &now, AnsweredAt: &now}
		if err := createBinding(tx, &b); err != nil {
			return err
		}
		return s.audit(tx, userActor(u, ip), "binding.party", bindingTarget(b.ID), caseTarget(c.ID))
	})
	if errors.Is(err, ErrBindingMismatch) {
		if cerr := guard.mismatch(ctx); cerr != nil {
			return BindingView{}, cerr
		}
	}
	if err != nil {
		return BindingView{}, err
	}
	return bindingView(b, c.Name), nil
}

// kindPowerOfAttorney is the upload kind of a 委托书.
const kindPowerOfAttorney = "power_of_attorney"

func (s *Service) bindLawyer(ctx context.Context, u UserSession, in BindInput) (BindingView, error) {
	var b model.Binding
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// The materials are uploads: their processing needs that consent.
		if err := s.requireConsent(tx, u.UserID, PurposeUploads); err != nil {
			return err
		}
		if err := s.checkPendingBindings(tx, u.UserID); err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", u.UserID).Take(&model.LawyerProfile{}).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrLawyerProfile
			}
			return fmt.Errorf("lawyer profile of user %d: %w", u.UserID, err)
		}
		ids := slices.Compact(slices.Sorted(slices.Values(in.Materials)))
		var uploads []model.Upload
		if err := tx.Where("id IN ? AND user_id = ?", ids, u.UserID).Find(&uploads).Error; err != nil {
			return fmt.Errorf("materials of user %d: %w", u.UserID, err)
		}
		if len(uploads) != len(ids) {
			return model.Invalid(map[string]string{"materials": "材料不存在，请重新上传"})
		}
		if !slices.ContainsFunc(uploads, func(up model.Upload) bool { return up.Kind == kindPowerOfAttorney }) {
			return model.Invalid(map[string]string{"materials": "请上传委托书"})
		}
		replyBy := s.replyDeadline()
		b = model.Binding{UserID: u.UserID, CaseNo: in.CaseNo, Role: model.RoleLawyer, Status: model.StatusPending, ReplyBy: &replyBy}
		var c model.Case
		err := tx.Select("id", "unit_id").Where("case_no = ?", in.CaseNo).Take(&c).Error
		switch {
		case err == nil:
			if err := checkNotRevoked(tx, u.UserID, c.ID); err != nil {
				return err
			}
			b.CaseID, b.UnitID, b.LiveKey = c.ID, c.UnitID, model.LiveKey(u.UserID, c.ID)
		case errors.Is(err, gorm.ErrRecordNotFound):
			// Kept for staff to reject: the lawyer gets the same answer as
			// for a real case, and a second request is refused the same way.
			b.LiveKey = unknownCaseKey(u.UserID, in.CaseNo)
		default:
			return fmt.Errorf("find case for binding: %w", err)
		}
		if err := createBinding(tx, &b); err != nil {
			return err
		}
		materials := make([]model.BindingMaterial, len(ids))
		for i, id := range ids {
			materials[i] = model.BindingMaterial{BindingID: b.ID, UploadID: id}
		}
		if err := tx.Create(&materials).Error; err != nil {
			return fmt.Errorf("link materials to binding %d: %w", b.ID, err)
		}
		return s.audit(tx, userActor(u, ""), "binding.lawyer", bindingTarget(b.ID), "")
	})
	return bindingView(b, ""), err
}

// unknownCaseKey is the live key of a request for a case number that
// matches no case: one live request per user and number.
func unknownCaseKey(userID uint64, caseNo string) *string {
	sum := sha256.Sum256([]byte(caseNo))
	k := fmt.Sprintf("%d:n%x", userID, sum[:12])
	return &k
}

func createBinding(tx *gorm.DB, b *model.Binding) error {
	if err := tx.Create(b).Error; err != nil {
		if model.IsDuplicate(err) {
			return ErrAlreadyBound
		}
		return fmt.Errorf("create binding: %w", err)
	}
	return nil
}

func bindingTarget(id uint64) string { return fmt.Sprintf("binding:%d", id) }

// userActor names a WeChat user in the audit log. A user's reach is
// checked by ownership (their own bindings and requests), not by unit.
func userActor(u UserSession, ip string) Actor {
	return Actor{Name: fmt.Sprintf("user:%d", u.UserID), IP: ip, Scope: AllUnits}
}

// UserBindings lists the user's bindings, newest first.
func (s *Service) UserBindings(ctx context.Context, userID uint64) ([]BindingView, error) {
	var rows []struct {
		model.Binding
		CaseName string
	}
	err := s.db.WithContext(ctx).Model(&model.Binding{}).
		Select("bindings.*, cases.name AS case_name").
		Joins("LEFT JOIN cases ON cases.id = bindings.case_id").
		Where("bindings.user_id = ?", userID).Order("bindings.id DESC").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("bindings of user %d: %w", userID, err)
	}
	out := make([]BindingView, len(rows))
	for i, r := range rows {
		out[i] = bindingView(r.Binding, r.CaseName)
	}
	return out, nil
}

// Unbind ends the user's own binding: an approved one is revoked, a
// pending request is withdrawn (cancelled).
func (s *Service) Unbind(ctx context.Context, u UserSession, ip string, id uint64) (BindingView, error) {
	var b model.Binding
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		b, err = s.endOwnBinding(tx, u, ip, id, "")
		return err
	})
	return bindingView(b, ""), err
}

// endOwnBinding is the user ending their binding id (reason: why, "" for
// the user's own unbind or withdrawal).
func (s *Service) endOwnBinding(tx *gorm.DB, u UserSession, ip string, id uint64, reason string) (model.Binding, error) {
	var b model.Binding
	// Locked before choosing the move, so a concurrent approval is
	// either seen (and revoked) or waits (and finds it cancelled).
	if err := lockForUpdate(tx).Where("id = ? AND user_id = ?", id, u.UserID).Take(&b).Error; err != nil {
		return b, notFoundIf(err)
	}
	to, why := model.StatusRevoked, reasonUnbound
	if b.Status == model.StatusPending {
		to, why = model.StatusCancelled, reasonWithdrawn
	}
	if reason != "" {
		why = reason
	}
	return s.moveBinding(tx, userActor(u, ip), b.ID, to, why, false)
}

// StaffBinding is a binding in the staff queue, with who asked and what
// they sent.
type StaffBinding struct {
	ID        uint64       `json:"id"`
	CaseID    uint64       `json:"case_id"`
	Role      string       `json:"role"`
	Status    model.Status `json:"status"`
	CaseNo    string       `json:"case_no"`
	Reason    string       `json:"reason,omitempty"`
	DecidedAt *time.Time   `json:"decided_at,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	CaseName  string       `json:"case_name"`
	// CaseNote tells staff that the number entered matches no case
	// (CaseID 0); the lawyer is never told.
	CaseNote  string          `json:"case_note,omitempty"`
	Applicant *Applicant      `json:"applicant,omitempty"`
	Party     *PartyView      `json:"party,omitempty"`
	Materials []MaterialEntry `json:"materials"`
}

// Applicant is the lawyer behind a binding request.
type Applicant struct {
	Name        string `json:"name"`
	LicenseNo   string `json:"license_no"`
	Firm        string `json:"firm"`
	PhoneMasked string `json:"phone_masked"`
}

// MaterialEntry is one uploaded material of a binding request.
type MaterialEntry struct {
	UploadID    uint64 `json:"upload_id"`
	Kind        string `json:"kind"`
	FileName    string `json:"file_name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// StaffBindings lists the bindings of the actor's scope in a status
// (pending by default), oldest first, for the review queue. It shows
// applicants' personal data (party names, masked id numbers, lawyer
// profiles), so each read is audited.
func (s *Service) StaffBindings(ctx context.Context, a Actor, status model.Status, p Paging) (Page[StaffBinding], error) {
	if status == "" {
		status = model.StatusPending
	}
	if !slices.Contains([]model.Status{model.StatusPending, model.StatusApproved, model.StatusRejected, model.StatusRevoked}, status) {
		return Page[StaffBinding]{}, model.Invalid(map[string]string{"status": "状态须为 pending、approved、rejected 或 revoked"})
	}
	if err := s.Audit(ctx, a, "binding.list", "bindings", "status="+string(status)); err != nil {
		return Page[StaffBinding]{}, err
	}
	db := s.db.WithContext(ctx)
	q := a.Scope.where(db.Model(&model.Binding{}).Where("bindings.status = ?", status), "bindings.unit_id")
	page, err := pageOf[stagedBinding](q, p, "bindings.id", "staff bindings", func(q *gorm.DB) *gorm.DB {
		return q.Select("bindings.*, cases.name AS case_name").Joins("LEFT JOIN cases ON cases.id = bindings.case_id")
	})
	if err != nil {
		return Page[StaffBinding]{}, err
	}
	items, err := s.staffBindingItems(db, page.Items)
	return Page[StaffBinding]{Items: items, Page: page.Page, PageSize: page.PageSize, Total: page.Total}, err
}

// stagedBinding is a binding row with its case's name.
type stagedBinding struct {
	model.Binding
	CaseName string
}

// staffBindingItems adds to each binding who asked and what they sent.
func (s *Service) staffBindingItems(db *gorm.DB, rows []stagedBinding) ([]StaffBinding, error) {
	var userIDs, bindingIDs, partyIDs []uint64
	for _, r := range rows {
		userIDs = append(userIDs, r.UserID)
		bindingIDs = append(bindingIDs, r.ID)
		if r.PartyID != nil {
			partyIDs = append(partyIDs, *r.PartyID)
		}
	}
	profiles := map[uint64]model.LawyerProfile{}
	parties := map[uint64]model.Party{}
	materials := map[uint64][]MaterialEntry{}
	if len(rows) > 0 {
		var ps []model.LawyerProfile
		if err := db.Where("user_id IN ?", userIDs).Find(&ps).Error; err != nil {
			return nil, fmt.Errorf("applicants: %w", err)
		}
		for _, p := range ps {
			profiles[p.UserID] = p
		}
		var pts []model.Party
		if len(partyIDs) > 0 {
			if err := db.Where("id IN ?", partyIDs).Find(&pts).Error; err != nil {
				return nil, fmt.Errorf("bound parties: %w", err)
			}
		}
		for _, p := range pts {
			parties[p.ID] = p
		}
		var ms []struct {
			BindingID uint64
			MaterialEntry
		}
		err := db.Model(&model.BindingMaterial{}).
			Select("binding_materials.binding_id, uploads.id AS upload_id, uploads.kind, uploads.file_name, uploads.content_type, uploads.size").
			Joins("JOIN uploads ON uploads.id = binding_materials.upload_id").
			Where("binding_materials.binding_id IN ?", bindingIDs).Order("uploads.id").Scan(&ms).Error
		if err != nil {
			return nil, fmt.Errorf("binding materials: %w", err)
		}
		for _, m := range ms {
			materials[m.BindingID] = append(materials[m.BindingID], m.MaterialEntry)
		}
	}
	out := make([]StaffBinding, len(rows))
	for i, r := range rows {
		b := r.Binding
		sb := StaffBinding{ID: b.ID, CaseID: b.CaseID, Role: b.Role, Status: b.Status, CaseNo: b.CaseNo, Reason: b.Reason,
			DecidedAt: b.DecidedAt, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt, CaseName: r.CaseName, Materials: materials[r.ID]}
		if r.CaseID == 0 {
			sb.CaseNote = caseNoteUnknown
		}
		if sb.Materials == nil {
			sb.Materials = []MaterialEntry{}
		}
		if p, ok := profiles[r.UserID]; ok && r.Role == model.RoleLawyer {
			sb.Applicant = &Applicant{Name: p.Name, LicenseNo: p.LicenseNo, Firm: p.Firm, PhoneMasked: p.PhoneMasked}
		}
		if r.PartyID != nil {
			if p, ok := parties[*r.PartyID]; ok {
				sb.Party = &PartyViews([]model.Party{p})[0]
			}
		}
		out[i] = sb
	}
	return out, nil
}

// ApproveBinding approves a pending binding and queues the result push.
func (s *Service) ApproveBinding(ctx context.Context, a Actor, id uint64) (model.Binding, error) {
	return s.decideBinding(ctx, a, id, model.StatusApproved, "")
}

// RejectBinding rejects a pending binding with a reason.
func (s *Service) RejectBinding(ctx context.Context, a Actor, id uint64, reason string) (model.Binding, error) {
	return s.decideBinding(ctx, a, id, model.StatusRejected, reason)
}

// RevokeBinding ends an approved binding with a reason.
func (s *Service) RevokeBinding(ctx context.Context, a Actor, id uint64, reason string) (model.Binding, error) {
	return s.decideBinding(ctx, a, id, model.StatusRevoked, reason)
}

func (s *Service) decideBinding(ctx context.Context, a Actor, id uint64, to model.Status, reason string) (model.Binding, error) {
	reason = strings.TrimSpace(reason)
	if to != model.StatusApproved {
		if reason == "" {
			return model.Binding{}, ErrReasonRequired
		}
		if len([]rune(reason)) > 500 {
			return model.Binding{}, model.Invalid(map[string]string{"reason": "理由不能超过 500 个字"})
		}
	}
	var b model.Binding
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		b, err = s.moveBinding(tx, a, id, to, reason, true)
		return err
	})
	return b, err
}

// moveBinding moves binding id to status to (a guarded transition, see
// transition), so of two concurrent decisions exactly the legal ones win.
// It audits and, with notify, queues the result push in the same
// transaction.
func (s *Service) moveBinding(tx *gorm.DB, a Actor, id uint64, to model.Status, reason string, notify bool) (model.Binding, error) {
	var b model.Binding
	if err := lockForUpdate(tx).Take(&b, id).Error; err != nil {
		return b, notFoundIf(err)
	}
	if !a.Scope.Contains(b.UnitID) {
		return model.Binding{}, model.ErrNotFound
	}
	now := s.Now()
	set := map[string]any{"reason": reason, "decided_at": now, "decided_by": nil}
	if a.StaffID != 0 {
		set["decided_by"] = a.StaffID
	}
	if b.Status == model.StatusPending && (to == model.StatusApproved || to == model.StatusRejected) {
		set["answered_at"] = now
	}
	if to == model.StatusApproved {
		if b.CaseID == 0 {
			var c model.Case
			err := tx.Select("id", "unit_id").Where("case_no = ?", b.CaseNo).Take(&c).Error
			if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && !a.Scope.Contains(c.UnitID)) {
				return b, ErrBindingCaseAbsent
			}
			if err != nil {
				return b, fmt.Errorf("find case of binding %d: %w", id, err)
			}
			set["case_id"], set["unit_id"], set["live_key"] = c.ID, c.UnitID, model.LiveKey(b.UserID, c.ID)
		}
	} else {
		set["live_key"] = nil
	}
	if err := transition(tx, &model.Binding{}, bindingWhat, model.BindingMachine, id, 0, to, set); err != nil {
		if model.IsDuplicate(err) {
			return b, ErrAlreadyBound
		}
		return b, fmt.Errorf("binding %d to %s: %w", id, to, err)
	}
	if err := tx.Take(&b, id).Error; err != nil {
		return b, fmt.Errorf("reload binding %d: %w", id, err)
	}
	if err := s.audit(tx, a, "binding."+string(to), bindingTarget(id), reason); err != nil {
		return b, err
	}
	if to == model.StatusRevoked {
		if err := s.endAppointments(tx, b); err != nil {
			return b, err
		}
	}
	if !notify {
		return b, nil
	}
	if err := s.pushBindingResult(tx, b); err != nil {
		return b, err
	}
	c, err := caseLabel(tx, b.CaseID)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return b, err
	}
	return b, s.inviteRating(tx, bindingOwned, b.ID, b.UserID, b.UnitID, to, cmp.Or(c.Name, b.CaseNo))
}

// pushBindingResult queues the decision's message to the binding's user.
func (s *Service) pushBindingResult(tx *gorm.DB, b model.Binding) error {
	var u model.WeChatUser
	if err := tx.Select("id", "open_id").Take(&u, b.UserID).Error; err != nil {
		return fmt.Errorf("user of binding %d: %w", b.ID, err)
	}
	name := b.CaseNo
	path := "/h5/bindings"
	if b.CaseID != 0 {
		var c model.Case
		if err := tx.Select("id", "name").Take(&c, b.CaseID).Error; err == nil {
			name = c.Name
		}
		if b.Status == model.StatusApproved {
			path = casePath(b.CaseID)
		}
	}
	data := map[string]string{"case_name": name, "result": b.Status.Label(), "time": s.Now().In(s.opt.Location).Format("2006-01-02 15:04")}
	if b.Reason != "" {
		data["reason"] = b.Reason
	}
	return s.enqueue(tx, Push{OpenID: u.OpenID, Kind: model.PushBindingResult, UnitID: b.UnitID,
		Cause: fmt.Sprintf("binding:%d:%s", b.ID, b.Status), Data: data, Path: path})
}
