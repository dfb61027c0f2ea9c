package service

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"zsjc/model"
)

var usernamePattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{2,31}$`)

// NewStaff is the input for creating a staff account.
type NewStaff struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	Password    string `json:"password"`
	// UnitCode is the account's unit, in the creator's scope; it may be
	// left out while the scope holds one unit only.
	UnitCode string `json:"unit_code"`
}

// CreateStaff validates and stores a staff account with a bcrypt hash.
func (s *Service) CreateStaff(ctx context.Context, a Actor, in NewStaff) (model.Staff, error) {
	in.Username = strings.TrimSpace(strings.ToLower(in.Username))
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	fe := model.FieldErrors{}
	if !usernamePattern.MatchString(in.Username) {
		fe.Add("username", "用户名须为 3–32 位小写字母、数字或 _ . -，以字母开头")
	}
	if !slices.Contains(model.StaffRoles, in.Role) {
		fe.Add("role", "角色须为 "+strings.Join(model.StaffRoles, "、")+" 之一")
	}
	if p := PasswordProblem(in.Password, in.Username); p != "" {
		fe.Add("password", p)
	}
	if len([]rune(in.DisplayName)) > 64 {
		fe.Add("display_name", "姓名不能超过 64 个字")
	}
	unitID := s.pickUnit(ctx, a.Scope, fe, in.UnitCode)
	if err := fe.Err(); err != nil {
		return model.Staff{}, err
	}
	if in.DisplayName == "" {
		in.DisplayName = in.Username
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(in.Password), bcrypt.DefaultCost)
	if err != nil {
		return model.Staff{}, fmt.Errorf("hash password: %w", err)
	}
	st := model.Staff{Username: in.Username, DisplayName: in.DisplayName, Role: in.Role, UnitID: unitID, PasswordHash: string(hash)}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := holdUnit(tx, st.UnitID, "unit_code"); err != nil {
			return err
		}
		if err := tx.Create(&st).Error; err != nil {
			if model.IsDuplicate(err) {
				return model.Invalid(map[string]string{"username": "该用户名已被使用"})
			}
			return fmt.Errorf("create staff %s: %w", in.Username, err)
		}
		return s.audit(tx, a, "staff.create", fmt.Sprintf("staff:%d", st.ID), "role="+st.Role)
	})
	return st, err
}
