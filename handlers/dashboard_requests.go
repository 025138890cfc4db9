package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"zhenggai/store"
)

// The 看板's enterprise requests (联百企驻百站): per leader, how many came,
// how fast the first answer was, the ratings; the requests v may see, open
// ones by age; and one request's thread, whose opening is audited like
// the chat's (auditView).

// DashLeaderStat is one leader's line.
type DashLeaderStat struct {
	Leader                            string
	Opened, Answered, Open            int
	AvgFirstAnswer                    string
	Satisfied, Basically, Unsatisfied int
}

// DashRequestRow is a request's line.
type DashRequestRow struct {
	Q      *store.EnterpriseRequest
	State  string
	Age    string
	Light  LightReason
	Rating string
}

// DashRequests is the requests page.
type DashRequests struct {
	Leaders  []DashLeaderStat
	Open     []DashRequestRow
	Closed   []DashRequestRow
	Truncate bool
}

var requestStateNames = map[string]string{store.RequestOpen: "待答复", store.RequestAnswered: "已答复", store.RequestClosed: "已办结"}

var ratingNames = map[string]string{"satisfied": "满意", "basically": "基本满意", "unsatisfied": "不满意"}

// dashRequestLimit is how many requests the page lists.
const dashRequestLimit = 500

// DashboardRequests is the requests page as v may see it: the office
// every leader's, a person those he handles or whose enterprise he is the
// contact leader of (CanSeeRequest).
func DashboardRequests(ctx context.Context, st *store.Store, c *store.Campaign, v Viewer, now time.Time) (*DashRequests, error) {
	if v.Person == nil {
		return nil, ErrDashForbidden
	}
	out := &DashRequests{}
	// Since the campaign began: every request it has.
	stats, err := st.RequestStats(ctx, c.ID, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), now.Add(time.Second))
	if err != nil {
		return nil, err
	}
	qs, err := st.DashRequests(ctx, c.ID, v.Person.ID, v.Roles.Office, dashRequestLimit+1)
	if err != nil {
		return nil, err
	}
	if len(qs) > dashRequestLimit {
		qs, out.Truncate = qs[:dashRequestLimit], true
	}
	lr := lightRuleOf(c)
	openBy := map[int64]int{}
	for _, q := range qs {
		if !CanSeeRequest(v, c, q) {
			continue // the query's filter is the rule's; the rule has the last word
		}
		row := DashRequestRow{Q: q, State: requestStateNames[q.State], Light: lr.request(q, c, now)}
		if q.Rating != nil {
			row.Rating = ratingNames[*q.Rating]
		}
		if q.State == store.RequestClosed {
			out.Closed = append(out.Closed, row)
			continue
		}
		row.Age = age(q.OpenedAt, now)
		openBy[q.OwnerID]++
		out.Open = append(out.Open, row)
	}
	var ids []int64
	for id := range stats {
		if v.Roles.Office || id == v.Person.ID {
			ids = append(ids, id)
		}
	}
	people, err := st.PeopleByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	for _, id := range ids {
		s := stats[id]
		name := fmt.Sprint(id)
		if p := people[id]; p != nil {
			name = p.Name
		}
		avg := "—"
		if s.Answered > 0 {
			avg = durationLabel(s.AvgFirstAnswer)
		}
		out.Leaders = append(out.Leaders, DashLeaderStat{Leader: name, Opened: s.Opened, Answered: s.Answered, Open: openBy[id],
			AvgFirstAnswer: avg, Satisfied: s.Satisfied, Basically: s.Basically, Unsatisfied: s.Unsatisfied})
	}
	return out, nil
}

// DashThreadLine is a message of a request's thread.
type DashThreadLine struct {
	At, Who, Text string
	In, Note      bool
	FileID        int64
	FileName      string
}

// DashRequest is a request's page.
type DashRequest struct {
	Row    DashRequestRow
	Thread []DashThreadLine
}

// DashboardRequest is the request numbered number, if v may see it; the
// view is audited (it shows the enterprise's contact details).
func DashboardRequest(ctx context.Context, st *store.Store, c *store.Campaign, v Viewer, actor store.Actor, number string, now time.Time) (*DashRequest, error) {
	q, err := st.EnterpriseRequestByNumber(ctx, c.ID, number)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrDashNotFound
	}
	if err != nil {
		return nil, err
	}
	// The request's page is its handlers' card (ereq.show): for bureau
	// people; an enterprise contact reads his own requests in his chat.
	if v.Person == nil || !CanSeeRequest(v, c, q) {
		return nil, ErrDashForbidden
	}
	msgs, err := st.RequestMessages(ctx, q.ID, 1000)
	if err != nil {
		return nil, err
	}
	loc := c.Location()
	d := &DashRequest{Row: DashRequestRow{Q: q, State: requestStateNames[q.State], Light: lightRuleOf(c).request(q, c, now), Age: age(q.OpenedAt, now)}}
	if q.Rating != nil {
		d.Row.Rating = ratingNames[*q.Rating]
	}
	for _, m := range msgs {
		l := DashThreadLine{At: m.CreatedAt.In(loc).Format("2006-01-02 15:04"), Text: m.Text, FileName: m.FileName}
		switch m.Direction {
		case store.MessageIn:
			l.Who, l.In = q.ContactName+"（"+q.EnterpriseName+"）", true
		case store.MessageOut:
			l.Who = m.PersonName + " 答复"
			if m.PersonName == "" {
				l.Who = "系统"
			}
		default:
			l.Who, l.Note = "记录", true
		}
		if m.FileID != nil {
			l.FileID = *m.FileID
		}
		d.Thread = append(d.Thread, l)
	}
	err = st.AppendAudit(ctx, store.AuditParams{Actor: actor, Entity: "enterprise_request", EntityID: q.Number,
		Action: "view", New: map[string]any{"via": "dashboard"}})
	return d, err
}
