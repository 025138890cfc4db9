package handlers

import (
	"context"
	"time"

	"github.com/xuri/excelize/v2"

	"zhenggai/store"
)

// The ledger export's second sheet lists the 督办单 of the exported units,
// newest first: what was asked, when it was signed, answered and closed.

const noticeSheet = "督办单"

var noticeColumns = []string{"编号", "单位", "督办类别", "督办事项", "督办要求", "签发人", "签发时间", "答复期限", "状态",
	"签收人", "签收时间", "答复", "答复时间", "办结时间"}

// addNoticeSheet writes the units' notices (all when unitIDs is nil).
func addNoticeSheet(ctx context.Context, st *store.Store, f *excelize.File, c *store.Campaign, units []*store.Unit, unitIDs []int64) error {
	ns, err := st.SupervisionNotices(ctx, c.ID, unitIDs, false)
	if err != nil {
		return err
	}
	if _, err := f.NewSheet(noticeSheet); err != nil {
		return err
	}
	if err := xlsxHeader(f, noticeSheet, noticeColumns, map[string]float64{"A": 14, "B": 20, "D": 30, "E": 40, "L": 40}); err != nil {
		return err
	}
	byID := map[int64]*store.Unit{}
	for _, u := range units {
		byID[u.ID] = u
	}
	var pids, iids []int64
	for _, n := range ns {
		for _, id := range []*int64{n.IssuedBy, n.SignedBy} {
			if id != nil {
				pids = append(pids, *id)
			}
		}
		if n.ItemID != nil {
			iids = append(iids, *n.ItemID)
		}
	}
	people, err := st.PeopleByIDs(ctx, pids)
	if err != nil {
		return err
	}
	items, err := st.LedgerItemsByIDs(ctx, iids)
	if err != nil {
		return err
	}
	loc := c.Location()
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04")
	}
	for i, n := range ns {
		u := byID[n.UnitID]
		if u == nil {
			u = &store.Unit{}
		}
		a := noticeAbout{unit: u, period: n.Period}
		if n.ItemID != nil {
			a.item = items[*n.ItemID]
		}
		row := []any{n.Number, u.Name, colourName(n.Colour), a.label(), n.Text, personName(people, n.IssuedBy), at(&n.IssuedAt),
			civil(n.ReplyDue).Format(time.DateOnly), noticeStateNames[n.State], personName(people, n.SignedBy), at(n.SignedAt),
			n.Answer, at(n.AnsweredAt), at(n.ClosedAt)}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(noticeSheet, cell, &row); err != nil {
			return err
		}
	}
	return nil
}
