package service

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
)

// RatingTags are the fixed tags a rating may carry (served as rating_tags
// of /api/vocab).
var RatingTags = []string{"态度好", "效率高", "流程清楚", "答复及时", "解释耐心", "态度需改进", "效率需提高", "流程不清楚"}

const (
	maxRatingComment = 300 // model.Rating.Comment
	minStars         = 1
	maxStars         = 5
)

var (
	errNotHandled   = model.NewError(model.KindConflict, "not_handled", "该申请尚未办结，办结后才能评价")
	errAlreadyRated = model.NewError(model.KindConflict, "already_rated", "您已评价过该申请，评价不能修改")
)

// ownedKind is one kind of request a WeChat user makes and staff handle.
// 我的申请 lists every kind, a handled one may be rated once by its owner,
// and reaching a handled state invites the rating; a new kind is one more
// row of ownedKinds.
type ownedKind struct {
	name  string // the kind in the API ("binding")
	label string // 绑定申请
	row   func() any
	// handled are the states in which the request is handled: it may be
	// rated then, and the staff decision reaching one invites the rating.
	handled []model.Status
	// extra is a column of the table shown in the request's title ("":
	// none).
	extra string
	// title names a request in 我的申请 from its case's name and extra.
	title func(caseName, extra string) string
	// path is the H5 page of request id that shows it with its 评价: 我的申请
	// itself, or the request's own page.
	path func(id uint64) string
}

// The handled states, per state machine (docs/design.md §3): a binding
// answered (approved — also when later revoked — or rejected); a review
// rejected or completed (a no-show used no service); a meeting answered
// (confirmed with time and place, or rejected); an online file review
// answered (approved, also once expired, or rejected); a complaint resolved.
var (
	bindingOwned = ownedKind{name: "binding", label: "绑定申请", row: func() any { return &model.Binding{} },
		handled: []model.Status{model.StatusApproved, model.StatusRejected, model.StatusRevoked}, extra: "case_no",
		title: func(caseName, caseNo string) string { return cmp.Or(caseName, caseNo) },
		path:  func(uint64) string { return "/h5/requests" }}
	reviewOwned = ownedKind{name: KindReview, label: "阅卷预约", row: func() any { return &model.ReviewBooking{} },
		handled: []model.Status{model.StatusRejected, model.StatusCompleted},
		title:   func(caseName, _ string) string { return caseName },
		path:    func(uint64) string { return "/h5/requests" }}
	meetingOwned = ownedKind{name: KindMeeting, label: "会见申请", row: func() any { return &model.MeetingRequest{} },
		handled: []model.Status{model.StatusConfirmed, model.StatusRejected}, extra: "type",
		title: func(caseName, typ string) string { return caseName + " · " + typ },
		path:  func(uint64) string { return "/h5/requests" }}
	efileOwned = ownedKind{name: KindEfile, label: "线上阅卷申请", row: func() any { return &model.EfileRequest{} },
		handled: []model.Status{model.StatusApproved, model.StatusRejected, model.StatusExpired}, extra: "note",
		title: func(caseName, _ string) string { return caseName },
		path:  func(uint64) string { return "/h5/requests" }}
	complaintOwned = ownedKind{name: "complaint", label: "控告申诉", row: func() any { return &model.Complaint{} },
		handled: []model.Status{model.StatusResolved}, extra: "category",
		title: func(_, category string) string { return ComplaintCategoryLabels[category] },
		path:  func(id uint64) string { return fmt.Sprintf("/h5/complaints/%d", id) }}
	// ownedKinds is every kind 我的申请 lists and a rating may name.
	ownedKinds = []ownedKind{bindingOwned, reviewOwned, meetingOwned, efileOwned, complaintOwned}
)

// ownedKindNamed finds the kind called name.
func ownedKindNamed(name string) (ownedKind, bool) {
	i := slices.IndexFunc(ownedKinds, func(k ownedKind) bool { return k.name == name })
	if i < 0 {
		return ownedKind{}, false
	}
	return ownedKinds[i], true
}

// RequestKindLabels name the kinds (served as request_kinds of /api/vocab).
func RequestKindLabels() map[string]string {
	out := make(map[string]string, len(ownedKinds))
	for _, k := range ownedKinds {
		out[k.name] = k.label
	}
	return out
}

// RatingInput is a user's rating of one of their handled requests.
type RatingInput struct {
	Kind    string   `json:"kind"`
	ID      uint64   `json:"id"`
	Stars   int      `json:"stars"`
	Tags    []string `json:"tags"`
	Comment string   `json:"comment"`
}

// RatingView is a rating as its owner and the staff see it.
type RatingView struct {
	ID        uint64    `json:"id"`
	Kind      string    `json:"kind"`
	KindLabel string    `json:"kind_label"`
	RequestID uint64    `json:"request_id"`
	Stars     int       `json:"stars"`
	Tags      []string  `json:"tags"`
	Comment   string    `json:"comment"`
	CreatedAt time.Time `json:"created_at"`
	// Rater is who rated, masked with role (staff views only).
	Rater string   `json:"rater,omitempty"`
	Unit  *UnitRef `json:"unit,omitempty"`
}

func ratingView(r model.Rating) RatingView {
	k, _ := ownedKindNamed(r.Kind)
	tags := []string{}
	if r.Tags != "" {
		tags = strings.Split(r.Tags, ",")
	}
	return RatingView{ID: r.ID, Kind: r.Kind, KindLabel: k.label, RequestID: r.RequestID, Stars: r.Stars, Tags: tags,
		Comment: r.Comment, CreatedAt: r.CreatedAt}
}

// Rate records the user's rating of their handled request. Someone else's
// request answers the same 404 as an absent one; a request not yet handled
// or already rated is a 409.
func (s *Service) Rate(ctx context.Context, userID uint64, in RatingInput) (RatingView, error) {
	fe := model.FieldErrors{}
	k, known := ownedKindNamed(strings.TrimSpace(in.Kind))
	if !known {
		names := make([]string, len(ownedKinds))
		for i, k := range ownedKinds {
			names[i] = k.name
		}
		fe.Add("kind", "评价对象须为 "+strings.Join(names, "、")+" 之一")
	}
	if in.ID == 0 {
		fe.Add("id", "请指明评价的申请")
	}
	if in.Stars < minStars || in.Stars > maxStars {
		fe.Add("stars", fmt.Sprintf("请选择 %d–%d 星", minStars, maxStars))
	}
	var tags []string
	for _, t := range in.Tags {
		t = strings.TrimSpace(t)
		switch {
		case !slices.Contains(RatingTags, t):
			fe.Add("tags", "标签须为 "+strings.Join(RatingTags, "、")+" 之一")
		case !slices.Contains(tags, t):
			tags = append(tags, t)
		}
	}
	comment := strings.TrimSpace(in.Comment)
	checkText(fe, "comment", comment, maxRatingComment)
	if err := fe.Err(); err != nil {
		return RatingView{}, err
	}
	r := model.Rating{Kind: k.name, RequestID: in.ID, UserID: userID, Stars: in.Stars, Tags: strings.Join(tags, ","), Comment: comment,
		CreatedAt: s.Now()}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// Locking the request serialises its owner's ratings; the unique
		// index (kind, request_id) would refuse a second one anyway.
		cur, err := lockStatus(tx, k.row(), in.ID, userID)
		if err != nil {
			return err
		}
		if !slices.Contains(k.handled, cur.Status) {
			return errNotHandled
		}
		if err := tx.Model(k.row()).Select("unit_id").Where("id = ?", in.ID).Scan(&r.UnitID).Error; err != nil {
			return fmt.Errorf("unit of %s %d: %w", k.name, in.ID, err)
		}
		if err := tx.Create(&r).Error; err != nil {
			if model.IsDuplicate(err) {
				return errAlreadyRated
			}
			return err
		}
		return nil
	})
	if err != nil {
		return RatingView{}, fmt.Errorf("rate %s %d: %w", in.Kind, in.ID, err)
	}
	return ratingView(r), nil
}

// inviteRating queues the push inviting the owner of request id of kind k
// to rate it, when the staff decision moved it to a handled state. One
// invitation per request: its cause does not name the state.
func (s *Service) inviteRating(tx *gorm.DB, k ownedKind, id, userID, unitID uint64, to model.Status, about string) error {
	if !slices.Contains(k.handled, to) {
		return nil
	}
	return s.lawyerPush(tx, userID, Push{Kind: model.PushRatingInvite, UnitID: unitID, Cause: fmt.Sprintf("rating:%s:%d", k.name, id),
		Path: k.path(id), Data: map[string]string{"item": k.label, "case_name": about, "result": to.Label(),
			"time": s.localTimeLabel(s.Now())}})
}

// MyRequest is one of the user's requests of any kind, as 我的申请 lists it.
type MyRequest struct {
	Kind        string       `json:"kind"`
	KindLabel   string       `json:"kind_label"`
	ID          uint64       `json:"id"`
	Title       string       `json:"title"`
	Status      model.Status `json:"status"`
	StatusLabel string       `json:"status_label"`
	CreatedAt   time.Time    `json:"created_at"`
	Path        string       `json:"path"`
	// Rateable: handled and not rated yet; Rating: the user's rating.
	Rateable bool        `json:"rateable"`
	Rating   *RatingView `json:"rating,omitempty"`
}

// MyRequests lists the user's requests of every kind, newest first (at
// most maxQueueRows of each kind), with their ratings.
func (s *Service) MyRequests(ctx context.Context, userID uint64) ([]MyRequest, error) {
	db := s.db.WithContext(ctx)
	var ratings []model.Rating
	if err := db.Where("user_id = ?", userID).Find(&ratings).Error; err != nil {
		return nil, fmt.Errorf("ratings of user %d: %w", userID, err)
	}
	rated := map[string]model.Rating{}
	for _, r := range ratings {
		rated[fmt.Sprintf("%s:%d", r.Kind, r.RequestID)] = r
	}
	out := []MyRequest{}
	for _, k := range ownedKinds {
		var rows []struct {
			ID        uint64
			Status    model.Status
			CreatedAt time.Time
			CaseID    uint64
			Extra     string
		}
		extra := cmp.Or(k.extra, "''")
		err := db.Model(k.row()).Select("id", "status", "created_at", "COALESCE(case_id, 0) AS case_id", extra+" AS extra").
			Where("user_id = ?", userID).Order("id DESC").Limit(maxQueueRows).Scan(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("%ss of user %d: %w", k.name, userID, err)
		}
		caseIDs := make([]uint64, 0, len(rows))
		for _, r := range rows {
			caseIDs = append(caseIDs, r.CaseID)
		}
		parties, err := loadRequestParties(db, caseIDs, nil)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			item := MyRequest{Kind: k.name, KindLabel: k.label, ID: r.ID, Title: k.title(parties.cases[r.CaseID].Name, r.Extra),
				Status: r.Status, StatusLabel: r.Status.Label(), CreatedAt: r.CreatedAt, Path: k.path(r.ID)}
			if rt, ok := rated[fmt.Sprintf("%s:%d", k.name, r.ID)]; ok {
				v := ratingView(rt)
				item.Rating = &v
			} else {
				item.Rateable = slices.Contains(k.handled, r.Status)
			}
			out = append(out, item)
		}
	}
	slices.SortStableFunc(out, func(a, b MyRequest) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

// StaffRatings lists the ratings of the actor's scope, or of the unit
// named and those below it (outside the scope: the same 404 as an absent
// code), newest first, the raters masked.
func (s *Service) StaffRatings(ctx context.Context, a Actor, unitCode string, p Paging) (Page[RatingView], error) {
	db := s.db.WithContext(ctx)
	q := a.Scope.where(db.Model(&model.Rating{}), "unit_id")
	if strings.TrimSpace(unitCode) != "" {
		t, u, err := s.statsUnit(ctx, a, unitCode)
		if err != nil {
			return Page[RatingView]{}, err
		}
		q = q.Where("unit_id IN ?", t.subtree(u.ID))
	}
	page, err := pageOf[model.Rating](q, p, "id DESC", "ratings")
	if err != nil {
		return Page[RatingView]{}, err
	}
	userIDs := make([]uint64, len(page.Items))
	for i, r := range page.Items {
		userIDs[i] = r.UserID
	}
	raters, err := maskedUsers(db, userIDs)
	if err != nil {
		return Page[RatingView]{}, err
	}
	return MapPage(page, func(rows []model.Rating) []RatingView {
		out := make([]RatingView, len(rows))
		for i, r := range rows {
			out[i] = ratingView(r)
			out[i].Rater, out[i].Unit = raters[r.UserID], s.unitRef(r.UnitID)
		}
		return out
	}), nil
}
