package service

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"zsjc/model"
)

// ErrBindingBlocked refuses a user whose binding to the case staff
// revoked: they bind again only after staff lift the block.
var ErrBindingBlocked = model.NewError(model.KindForbidden, "binding_blocked",
	"您与该案件的绑定已被解除，如需重新绑定请联系案件管理部门")

// checkNotRevoked refuses a new binding of userID to caseID while a
// binding of theirs to the case that staff revoked is not lifted. Ending a
// binding oneself (decided by no staff member) blocks nothing.
func checkNotRevoked(tx *gorm.DB, userID, caseID uint64) error {
	var n int64
	err := tx.Model(&model.Binding{}).
		Where("user_id = ? AND case_id = ? AND status = ? AND decided_by IS NOT NULL AND lifted_at IS NULL", userID, caseID, model.StatusRevoked).
		Count(&n).Error
	if err != nil {
		return fmt.Errorf("revoked bindings of user %d: %w", userID, err)
	}
	if n > 0 {
		return ErrBindingBlocked
	}
	return nil
}

// LiftBindingBlock lets the user of revoked binding id bind its case again
// (audited, with the reason). It is a guarded transition: only a revoked,
// not yet lifted binding changes, so of two clicks one gets the 409.
func (s *Service) LiftBindingBlock(ctx context.Context, a Actor, id uint64, reason string) (model.Binding, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return model.Binding{}, ErrReasonRequired
	}
	if len([]rune(reason)) > 500 {
		return model.Binding{}, model.Invalid(map[string]string{"reason": "理由不能超过 500 个字"})
	}
	var b model.Binding
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := lockInScope(tx, &model.Binding{}, id, a); err != nil {
			return err
		}
		now := s.Now()
		res := tx.Model(&model.Binding{}).Where("id = ? AND status = ? AND lifted_at IS NULL", id, model.StatusRevoked).
			Updates(map[string]any{"lifted_at": now, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("lift binding %d: %w", id, res.Error)
		}
		if err := tx.Take(&b, id).Error; err != nil {
			return notFoundIf(err)
		}
		if res.RowsAffected == 0 {
			return model.NewError(model.KindConflict, "invalid_state", "只有已解除且未放开的绑定可以放开重新绑定")
		}
		return s.audit(tx, a, "binding.lift", bindingTarget(id), reason)
	})
	return b, err
}
