package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"zsjc/model"
)

// IntegrationWindow is how far a request's timestamp may be from our clock.
const IntegrationWindow = 5 * time.Minute

// Integration errors. Each refusal names its reason: the caller is a
// system whose operators need to tell a clock skew from a wrong secret.
var (
	ErrIntegrationDisabled = model.NewError(model.KindUnavailable, "integration_disabled", "集成接口未启用：未配置 ZSJC_INTEGRATION_SECRET")
	ErrSignatureInvalid    = model.NewError(model.KindUnauthorized, "signature_invalid", "签名无效（X-Zsjc-Signature 须为 hex HMAC-SHA256(timestamp + \"\\n\" + 方法 + \"\\n\" + 转义后的路径 + \"\\n\" + body)）")
	ErrTimestampStale      = model.NewError(model.KindUnauthorized, "timestamp_stale", "X-Zsjc-Timestamp 缺失或与服务器时间相差超过 5 分钟")
	ErrRequestReplayed     = model.NewError(model.KindUnauthorized, "request_replayed", "该签名已使用过，请用新的时间戳重新签名")
	ErrCaseUnknown         = model.NewError(model.KindNotFound, "case_not_found", "没有该部门受案号的案件，请先推送案件")
)

// errRaced marks a unique-key collision with a concurrent writer; the use
// case runs once more and then finds the other writer's row.
var errRaced = errors.New("raced a concurrent insert")

// txRetryRaced is tx that runs fn a second time after errRaced.
func (s *Service) txRetryRaced(ctx context.Context, fn func(tx *gorm.DB) error) error {
	err := s.tx(ctx, fn)
	if errors.Is(err, errRaced) {
		err = s.tx(ctx, fn)
	}
	return err
}

// IntegrationRequest is what a case-system request's signature covers:
// the method and the escaped path as sent (from /api/integration/ on) are
// signed with the body, so a body signed for one case cannot be replayed
// at another case's URL.
type IntegrationRequest struct {
	Timestamp string
	Method    string
	Path      string
	Body      []byte
}

// SignIntegration is the signature of r under secret:
// hex HMAC-SHA256(timestamp + "\n" + METHOD + "\n" + escaped path + "\n" + body).
func SignIntegration(secret string, r IntegrationRequest) string {
	m := hmac.New(sha256.New, []byte(secret))
	for _, part := range []string{r.Timestamp, r.Method, r.Path} {
		m.Write([]byte(part))
		m.Write([]byte("\n"))
	}
	m.Write(r.Body)
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyIntegration authenticates a case-system request: the signature
// must match, the timestamp lie within ±IntegrationWindow, and the
// signature not have been seen before (checked across instances).
func (s *Service) VerifyIntegration(ctx context.Context, r IntegrationRequest, signature string) error {
	secret := s.opt.IntegrationSecret
	if secret == "" {
		return ErrIntegrationDisabled
	}
	timestamp := r.Timestamp
	want := SignIntegration(secret, r)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(strings.TrimSpace(signature)))) {
		return ErrSignatureInvalid
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrTimestampStale
	}
	if d := s.Now().Sub(time.Unix(sec, 0)); d > IntegrationWindow || d < -IntegrationWindow {
		return ErrTimestampStale
	}
	// A signature is only ever valid within the window around its
	// timestamp, so remembering it for twice the window is enough.
	fresh, err := s.cache.SetNX(ctx, "integ:sig:"+want, "1", 2*IntegrationWindow+time.Minute)
	if err != nil {
		return fmt.Errorf("integration replay guard: %w", unavailable(err))
	}
	if !fresh {
		return ErrRequestReplayed
	}
	return nil
}

// IntegrationCase is the body of PUT /api/integration/cases/{case_no}.
// Parties, when present, are the case's complete party list; when absent
// the list is left as it is.
type IntegrationCase struct {
	CaseInput
	Parties *[]PartyInput `json:"parties"`
}

// CaseWithParties is a stored case and its party list (id numbers masked).
type CaseWithParties struct {
	StaffCase
	Parties []PartyView `json:"parties"`
}

// validUpsert checks a case and its parties, and returns them cleaned.
// The case system names the case's unit by unit_code; it may leave it out
// only while the deployment has a single unit (its old free-text unit is
// then kept as the 承办单位 text).
func (s *Service) validUpsert(ctx context.Context, fe model.FieldErrors, in CaseInput, parties *[]PartyInput) (model.Case, *[]PartyInput) {
	c := model.Case{CaseNo: validCaseNo(fe, in.CaseNo)}
	s.validCase(fe, in, &c)
	c.UnitID = s.pickUnit(ctx, AllUnits, fe, in.UnitCode)
	if parties == nil {
		return c, nil
	}
	list := make([]PartyInput, len(*parties))
	for i, p := range *parties {
		list[i] = validParty(fe, fmt.Sprintf("parties[%d].", i), p)
	}
	return c, &list
}

// UpsertCase creates or replaces a case from the case system, idempotently.
// Staff-curated fields (important, summary, linked prosecutor account)
// are kept. It reports whether the case was new.
func (s *Service) UpsertCase(ctx context.Context, caseNo string, in IntegrationCase) (CaseWithParties, bool, error) {
	in.CaseNo = caseNo
	// Fields the body omits keep the stored case's values. (Read before the
	// transaction: the case system is the one writer of its fields.)
	var old model.Case
	if err := s.db.WithContext(ctx).Where("case_no = ?", caseNo).Take(&old).Error; err == nil {
		in.CaseInput = in.CaseInput.keepOmitted(old, s.opt.Location)
	} else if !errors.Is(err, gorm.ErrRecordNotFound) {
		return CaseWithParties{}, false, fmt.Errorf("find case %q: %w", caseNo, err)
	}
	fe := model.FieldErrors{}
	c, parties := s.validUpsert(ctx, fe, in.CaseInput, in.Parties)
	if err := fe.Err(); err != nil {
		return CaseWithParties{}, false, err
	}
	var out CaseWithParties
	var created bool
	err := s.txRetryRaced(ctx, func(tx *gorm.DB) error {
		stored, isNew, err := s.upsertCase(tx, System, c, parties)
		if err != nil {
			return err
		}
		list := []model.Party{}
		if err := tx.Where("case_id = ?", stored.ID).Order("id").Find(&list).Error; err != nil {
			return fmt.Errorf("parties of case %d: %w", stored.ID, err)
		}
		sc, err := s.staffCase(tx, stored)
		if err != nil {
			return err
		}
		out, created = CaseWithParties{StaffCase: sc, Parties: PartyViews(list)}, isNew
		return nil
	})
	return out, created, err
}

// upsertCase writes a validated case (and, when given, its party list)
// inside tx, returning errRaced when a concurrent writer created it first.
func (s *Service) upsertCase(tx *gorm.DB, a Actor, c model.Case, parties *[]PartyInput) (model.Case, bool, error) {
	// The row lock serialises concurrent deliveries of one case, so their
	// party lists cannot interleave.
	var old model.Case
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("case_no = ?", c.CaseNo).Take(&old).Error
	isNew := errors.Is(err, gorm.ErrRecordNotFound)
	if err != nil && !isNew {
		return c, false, fmt.Errorf("find case %q: %w", c.CaseNo, err)
	}
	if isNew || old.UnitID != c.UnitID {
		if err := holdUnit(tx, c.UnitID, "unit_code"); err != nil {
			return c, false, err
		}
	}
	if isNew {
		if err := tx.Create(&c).Error; err != nil {
			if model.IsDuplicate(err) {
				return c, false, errRaced
			}
			return c, false, fmt.Errorf("create case %q: %w", c.CaseNo, err)
		}
	} else {
		c.ID, c.CreatedAt = old.ID, old.CreatedAt
		c.Important, c.Summary, c.ProsecutorID, c.PublicTitle = old.Important, old.Summary, old.ProsecutorID, old.PublicTitle
		if err := moveCaseRequests(tx, old, c.UnitID); err != nil {
			return c, false, err
		}
		if err := tx.Save(&c).Error; err != nil {
			return c, false, fmt.Errorf("update case %d: %w", c.ID, err)
		}
	}
	if parties != nil {
		if _, err := s.replaceParties(tx, c.ID, *parties); err != nil {
			return c, false, err
		}
	}
	action := "case.update"
	if isNew {
		action = "case.create"
	}
	return c, isNew, s.audit(tx, a, action, caseTarget(c.ID), "")
}

// IntegrationEvent records a case-system event once: a repeated event id
// returns the stored event and queues nothing. It reports whether the
// event was new.
func (s *Service) IntegrationEvent(ctx context.Context, caseNo string, in EventInput) (model.CaseEvent, bool, error) {
	fe := model.FieldErrors{}
	ev := s.validEvent(fe, in, true)
	if err := fe.Err(); err != nil {
		return ev, false, err
	}
	ev.Source = SourceIntegration
	var out model.CaseEvent
	var created bool
	err := s.txRetryRaced(ctx, func(tx *gorm.DB) error {
		var c model.Case
		if err := tx.Where("case_no = ?", strings.TrimSpace(caseNo)).Take(&c).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrCaseUnknown
			}
			return fmt.Errorf("find case %q: %w", caseNo, err)
		}
		err := tx.Where("case_id = ? AND external_id = ?", c.ID, *ev.ExternalID).Take(&out).Error
		if err == nil {
			created = false
			return nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("find event %q: %w", *ev.ExternalID, err)
		}
		out = ev
		out.CaseID = c.ID
		if err := s.addEvent(tx, c, &out); err != nil {
			if model.IsDuplicate(err) {
				return errRaced
			}
			return err
		}
		created = true
		return s.audit(tx, System, "case.event", caseTarget(c.ID), out.Stage)
	})
	return out, created, err
}
