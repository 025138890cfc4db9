package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"zhenggai/cards"
	"zhenggai/store"
)

// Spreadsheets of the ledger (附件4 专项整治工作台账) and of the monthly
// summary, with excelize. 序号 holds the item's stable number
// (LB-2026-007), so that an exported file imported again updates the same
// items; an empty 序号 on import makes a new, numbered item.

// ledgerColumns is the official column order (DESIGN 7.5).
var ledgerColumns = []string{"序号", "单位", "问题来源", "问题类别", "问题描述", "整改措施", "责任领导", "责任单位", "责任人",
	"整改时限", "整改进展", "整改状态", "是否销号", "销号时间", "备注"}

const (
	ledgerSheet  = "专项整治工作台账"
	monthlySheet = "月报汇总"
	// effectMark separates 现阶段成效 from the progress in the 整改进展 cell.
	effectMark = "\n现阶段成效："
	// XLSXMIME is the MIME type of the spreadsheets.
	XLSXMIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// xlsxHeader writes a bold header row and column widths.
func xlsxHeader(f *excelize.File, sheet string, cols []string, widths map[string]float64) error {
	row := make([]any, len(cols))
	for i, c := range cols {
		row[i] = c
	}
	if err := f.SetSheetRow(sheet, "A1", &row); err != nil {
		return err
	}
	style, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Horizontal: "center", WrapText: true}})
	if err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(cols), 1)
	if err := f.SetCellStyle(sheet, "A1", last, style); err != nil {
		return err
	}
	for col, w := range widths {
		if err := f.SetColWidth(sheet, col, col, w); err != nil {
			return err
		}
	}
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

func newWorkbook(sheet string) (*excelize.File, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	return f, nil
}

// progressCell is the 整改进展 cell: the latest progress, and the
// 现阶段成效 of a long-term item.
func progressCell(it *store.LedgerItem) string {
	if it.Effect == "" {
		return it.Progress
	}
	return it.Progress + effectMark + it.Effect
}

// ledgerWorkbook builds the ledger of the units (all when unitIDs is nil).
func ledgerWorkbook(ctx context.Context, st *store.Store, c *store.Campaign, unitIDs []int64, now time.Time) (*excelize.File, int, error) {
	items, err := st.LedgerItems(ctx, c.ID, unitIDs)
	if err != nil {
		return nil, 0, err
	}
	units, err := st.Units(ctx, c.ID)
	if err != nil {
		return nil, 0, err
	}
	f, err := ledgerFile(c, units, items)
	if err != nil {
		return nil, 0, err
	}
	if err := addLightColumn(f, c, items, dayOf(now, c.Location())); err != nil {
		return nil, 0, err
	}
	if err := addEvidenceColumn(ctx, st, f, c, items); err != nil {
		return nil, 0, err
	}
	if err := addNoticeSheet(ctx, st, f, c, units, unitIDs); err != nil {
		return nil, 0, err
	}
	return f, len(items), nil
}

// ledgerFile lays items out as the ledger workbook; units name their units.
func ledgerFile(c *store.Campaign, units []*store.Unit, items []*store.LedgerItem) (*excelize.File, error) {
	byID := map[int64]*store.Unit{}
	for _, u := range units {
		byID[u.ID] = u
	}
	f, err := newWorkbook(ledgerSheet)
	if err != nil {
		return nil, err
	}
	if err := xlsxHeader(f, ledgerSheet, ledgerColumns, map[string]float64{"A": 14, "B": 20, "E": 40, "F": 30, "K": 40, "N": 17, "O": 20}); err != nil {
		return nil, err
	}
	loc := c.Location()
	for i, it := range items {
		closed, closedAt := "否", ""
		if it.ClosedAt != nil {
			closed, closedAt = "是", it.ClosedAt.In(loc).Format("2006-01-02 15:04")
		}
		unitName := ""
		if u := byID[it.UnitID]; u != nil {
			unitName = u.Name
		}
		row := []any{it.Number, unitName, it.Source, it.Category, it.Description, it.Measures, it.ResponsibleLeader,
			it.ResponsibleUnit, it.ResponsiblePerson, civil(it.DueOn).Format(time.DateOnly), progressCell(it),
			statusName(it.Status), closed, closedAt, it.Note}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(ledgerSheet, cell, &row); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// ExportLedger writes the current campaign's ledger as .xlsx to w, of one
// unit when unitKey is set, and returns the number of items.
func ExportLedger(ctx context.Context, st *store.Store, w io.Writer, unitKey string) (int, error) {
	c, err := st.CurrentCampaign(ctx)
	if err != nil {
		return 0, fmt.Errorf("handlers: export ledger: no campaign: %w", err)
	}
	var unitIDs []int64
	if unitKey != "" {
		u, err := st.UnitByKey(ctx, c.ID, unitKey)
		if err != nil {
			return 0, fmt.Errorf("handlers: export ledger: unit %q: %w", unitKey, err)
		}
		unitIDs = []int64{u.ID}
	}
	f, n, err := ledgerWorkbook(ctx, st, c, unitIDs, time.Now()) // the CLI exports as of now
	if err != nil {
		return 0, fmt.Errorf("handlers: export ledger: %w", err)
	}
	defer f.Close()
	if err := f.Write(w); err != nil {
		return 0, fmt.Errorf("handlers: export ledger: write: %w", err)
	}
	return n, nil
}

// ImportError lists every bad row of an import; nothing was imported.
type ImportError struct {
	Problems []string
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("台账导入失败，未导入任何数据，共 %d 处错误：\n%s", len(e.Problems), strings.Join(e.Problems, "\n"))
}

// ImportResult counts what an import did.
type ImportResult struct {
	Created, Updated, Unchanged int
}

func (r ImportResult) String() string {
	return fmt.Sprintf("新增 %d 项，更新 %d 项，未变 %d 项", r.Created, r.Updated, r.Unchanged)
}

// importRow is one parsed data row.
type importRow struct {
	line int
	item store.LedgerItem
	// existing is the item the row's 序号 names, if any.
	existing *store.LedgerItem
	// year and counter are the parts of a new item's given number.
	year, counter int
}

var statusByName = func() map[string]string {
	m := map[string]string{}
	for k, v := range statusNames {
		m[v] = k
	}
	return m
}()

// parseClosedAt reads 销号时间.
func parseClosedAt(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006/1/2 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	d, err := parseSheetDate(s)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc), nil
}

// parseSheetDate reads a date as typed or as an Excel serial number.
func parseSheetDate(s string) (time.Time, error) {
	if n, err := strconv.ParseFloat(s, 64); err == nil && n > 20000 && n < 80000 {
		t, err := excelize.ExcelDateToTime(n, false)
		if err == nil {
			return civil(t), nil
		}
	}
	return cards.ParseDate(s)
}

// ImportLedger reads an .xlsx in the ledger's column order into the current
// campaign: a row whose 序号 is an existing item's number updates it, any
// other row creates an item. It is all or nothing: when any row is bad, it
// returns an *ImportError naming every bad row by its row number and
// changes nothing.
func ImportLedger(ctx context.Context, st *store.Store, rd io.Reader, actor store.Actor) (ImportResult, error) {
	var res ImportResult
	c, err := st.CurrentCampaign(ctx)
	if err != nil {
		return res, fmt.Errorf("handlers: import ledger: no campaign: %w", err)
	}
	units, err := st.Units(ctx, c.ID)
	if err != nil {
		return res, err
	}
	existing, err := st.LedgerItems(ctx, c.ID, nil)
	if err != nil {
		return res, err
	}
	parsed, err := parseLedgerFile(rd, c, units, existing)
	if err != nil {
		return res, err
	}
	if len(parsed) == 0 {
		return res, nil // an empty ledger round-trips as nothing to do
	}
	err = st.InTx(ctx, func(tx *store.Store) error {
		res = ImportResult{}
		for _, row := range parsed {
			if err := importOne(ctx, tx, c, row, actor, &res); err != nil {
				return fmt.Errorf("第 %d 行：%w", row.line, err)
			}
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("handlers: import ledger: %w", err)
	}
	return res, nil
}

// importUnzipLimit bounds an imported workbook's unzipped size.
const importUnzipLimit = 64 << 20

// parseLedgerFile reads an .xlsx in the ledger's column order and
// validates every row against the campaign's units and existing items,
// without touching the database: the rows to import, or an *ImportError
// naming every bad row.
func parseLedgerFile(rd io.Reader, c *store.Campaign, units []*store.Unit, existing []*store.LedgerItem) ([]*importRow, error) {
	// A ledger of thousands of rows unzips to a few MB; a zip bomb is
	// refused rather than unpacked.
	f, err := excelize.OpenReader(rd, excelize.Options{UnzipSizeLimit: importUnzipLimit, UnzipXMLSizeLimit: importUnzipLimit / 2})
	if err != nil {
		return nil, &ImportError{Problems: []string{"文件不是有效的 Excel（.xlsx）文件，或解压后超过 64 MB"}}
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, &ImportError{Problems: []string{"文件中没有工作表"}}
	}
	sheet := sheets[0]
	if slices.Contains(sheets, ledgerSheet) {
		sheet = ledgerSheet
	}
	rows, err := f.GetRows(sheet)
	if err != nil {
		// A damaged file: its workbook names a sheet it lacks, or the
		// sheet is not readable XML.
		return nil, &ImportError{Problems: []string{fmt.Sprintf("文件已损坏，无法读取工作表“%s”，请重新导出后再导入", sheet)}}
	}
	header := -1
	for i := 0; i < min(len(rows), 5); i++ {
		if len(rows[i]) > 0 && strings.TrimSpace(rows[i][0]) == "序号" {
			header = i
			break
		}
	}
	if header < 0 {
		return nil, &ImportError{Problems: []string{"未找到表头：第一列应为“序号”，列顺序为 " + strings.Join(ledgerColumns, "、")}}
	}
	for i, name := range ledgerColumns {
		if i >= len(rows[header]) || strings.TrimSpace(rows[header][i]) != name {
			return nil, &ImportError{Problems: []string{fmt.Sprintf("第 %d 行（表头）：第 %d 列应为“%s”，列顺序为 %s", header+1, i+1, name, strings.Join(ledgerColumns, "、"))}}
		}
	}
	byNumber := map[string]*store.LedgerItem{}
	for _, it := range existing {
		byNumber[it.Number] = it
	}
	var parsed []*importRow
	var problems []string
	seen := map[string]int{}
	for i := header + 1; i < len(rows); i++ {
		cells := make([]string, len(ledgerColumns))
		empty := true
		for j := range cells {
			if j < len(rows[i]) {
				cells[j] = strings.TrimSpace(rows[i][j])
				if cells[j] != "" {
					empty = false
				}
			}
		}
		if empty {
			continue
		}
		row, bad := parseLedgerRow(i+1, cells, c, units, byNumber, seen)
		if len(bad) > 0 {
			problems = append(problems, fmt.Sprintf("第 %d 行：%s", i+1, strings.Join(bad, "；")))
			continue
		}
		parsed = append(parsed, row)
	}
	if len(problems) > 0 {
		return nil, &ImportError{Problems: problems}
	}
	return parsed, nil
}

// parseLedgerRow validates one data row and returns every problem of it.
func parseLedgerRow(line int, cells []string, c *store.Campaign, units []*store.Unit, byNumber map[string]*store.LedgerItem, seen map[string]int) (*importRow, []string) {
	var bad []string
	row := &importRow{line: line}
	it := &row.item
	it.CampaignID = c.ID
	var unit *store.Unit
	for _, u := range units {
		if cells[1] != "" && (u.Name == cells[1] || u.Key == cells[1] || u.Code == cells[1]) {
			unit = u
		}
	}
	if unit == nil {
		if cells[1] == "" {
			bad = append(bad, "“单位”不能为空")
		} else {
			bad = append(bad, fmt.Sprintf("单位“%s”不存在", cells[1]))
		}
	} else {
		it.UnitID = unit.ID
	}
	if num := strings.ToUpper(cells[0]); num != "" {
		if prev, dup := seen[num]; dup {
			bad = append(bad, fmt.Sprintf("序号 %s 与第 %d 行重复", num, prev))
		}
		seen[num] = line
		it.Number = num
		if ex := byNumber[num]; ex != nil {
			row.existing = ex
			if unit != nil && ex.UnitID != unit.ID {
				bad = append(bad, fmt.Sprintf("序号 %s 属于其他单位", num))
			}
		} else if unit != nil {
			if !itemNumberOK(num, unit.Code) {
				bad = append(bad, fmt.Sprintf("序号“%s”不是本系统的编号（应形如 %s-2026-001，新问题请留空）", cells[0], unit.Code))
			} else {
				_, _ = fmt.Sscanf(strings.TrimPrefix(num, unit.Code+"-"), "%d-%d", &row.year, &row.counter)
			}
		}
	}
	it.Source = cells[2]
	if !slices.Contains(itemSources, it.Source) {
		bad = append(bad, fmt.Sprintf("问题来源“%s”无效，应为 %s 之一", cells[2], strings.Join(itemSources, "、")))
	}
	it.Category = cells[3]
	if !slices.Contains(itemCategories, it.Category) {
		bad = append(bad, fmt.Sprintf("问题类别“%s”无效，应为 %s 之一", cells[3], strings.Join(itemCategories, "、")))
	}
	it.Description = cells[4]
	switch {
	case it.Description == "":
		bad = append(bad, "“问题描述”不能为空")
	case cards.RuneLen(it.Description) > 1000:
		bad = append(bad, "“问题描述”超过 1000 字")
	}
	it.Measures, it.ResponsibleLeader, it.ResponsibleUnit, it.ResponsiblePerson = cells[5], cells[6], cells[7], cells[8]
	if due, err := parseSheetDate(cells[9]); err != nil {
		if cells[9] == "" {
			bad = append(bad, "“整改时限”不能为空")
		} else {
			bad = append(bad, fmt.Sprintf("整改时限“%s”不是有效日期", cells[9]))
		}
	} else {
		it.DueOn = due
	}
	it.Progress = cells[10]
	if i := strings.Index(cells[10], strings.TrimPrefix(effectMark, "\n")); i >= 0 {
		it.Progress = strings.TrimSpace(cells[10][:i])
		it.Effect = strings.TrimSpace(cells[10][i+len(strings.TrimPrefix(effectMark, "\n")):])
	}
	status := cells[11]
	if status == "" {
		status = "整改中"
	}
	if s, ok := statusByName[status]; ok {
		it.Status = s
	} else {
		bad = append(bad, fmt.Sprintf("整改状态“%s”无效，应为 整改中、长期推进、申请销号、已销号 之一", cells[11]))
	}
	if it.Status == store.ItemCloseRequested && (row.existing == nil || row.existing.Status != store.ItemCloseRequested) {
		bad = append(bad, "“申请销号”须在系统中提交并由领导审批，导入时不能设置")
	}
	if it.Status == store.ItemLongTerm && it.Effect == "" {
		bad = append(bad, "“长期推进”的问题须在整改进展中写明“现阶段成效：…”")
	}
	switch cells[12] {
	case "是":
		if it.Status != "" && it.Status != store.ItemClosed {
			bad = append(bad, "“是否销号”为“是”时整改状态应为“已销号”")
		}
	case "否", "":
		if it.Status == store.ItemClosed {
			bad = append(bad, "整改状态为“已销号”时“是否销号”应为“是”")
		}
	default:
		bad = append(bad, fmt.Sprintf("是否销号“%s”无效，应为 是 或 否", cells[12]))
	}
	if it.Status == store.ItemClosed {
		if t, err := parseClosedAt(cells[13], c.Location()); err != nil {
			bad = append(bad, "已销号的问题须填写有效的“销号时间”（如 2026-11-26 10:00）")
		} else {
			it.ClosedAt = &t
		}
	} else if cells[13] != "" {
		bad = append(bad, "未销号的问题不应填写“销号时间”")
	}
	it.Note = cells[14]
	return row, bad
}

// itemNumberOK reports whether number has the form CODE-YYYY-NNN.
func itemNumberOK(number, code string) bool {
	rest, ok := strings.CutPrefix(number, code+"-")
	if !ok {
		return false
	}
	y, n, ok := strings.Cut(rest, "-")
	if !ok || len(y) != 4 || len(n) < 3 {
		return false
	}
	for _, r := range y + n {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// importOne writes one validated row.
func importOne(ctx context.Context, st *store.Store, c *store.Campaign, row *importRow, actor store.Actor, res *ImportResult) error {
	it := row.item
	at := time.Now()
	if ex := row.existing; ex != nil {
		cur, err := st.LockLedgerItem(ctx, ex.ID)
		if err != nil {
			return err
		}
		next := *cur
		next.Source, next.Category, next.Description, next.Measures = it.Source, it.Category, it.Description, it.Measures
		next.ResponsibleLeader, next.ResponsibleUnit, next.ResponsiblePerson = it.ResponsibleLeader, it.ResponsibleUnit, it.ResponsiblePerson
		next.DueOn, next.Status, next.Progress, next.Effect, next.Note = it.DueOn, it.Status, it.Progress, it.Effect, it.Note
		next.ClosedAt = it.ClosedAt
		if cur.ClosedAt != nil && it.ClosedAt != nil && cur.ClosedAt.Truncate(time.Minute).Equal(it.ClosedAt.Truncate(time.Minute)) {
			next.ClosedAt = cur.ClosedAt // the sheet keeps minutes only
		}
		if sameItem(cur, &next) {
			res.Unchanged++
			return nil
		}
		progressed := next.Progress != cur.Progress || next.Status != cur.Status
		if progressed {
			next.ProgressAt = &at
		}
		if err := st.UpdateLedgerItem(ctx, &next, cur.Version); err != nil {
			return err
		}
		if progressed {
			if err := st.AddProgress(ctx, &store.ProgressUpdate{ItemID: cur.ID, Text: next.Progress, Status: next.Status, Effect: next.Effect,
				Platform: actor.Platform, Account: actor.Account, MessageID: actor.MessageID}); err != nil {
				return err
			}
		}
		res.Updated++
		return st.AppendAudit(ctx, store.AuditParams{Actor: actor, Entity: "ledger_item", EntityID: strconv.FormatInt(cur.ID, 10),
			Action: "import_update", Old: itemAudit(cur), New: itemAudit(&next)})
	}
	year := at.In(c.Location()).Year()
	if row.counter > 0 {
		year = row.year
		if err := st.RaiseCounter(ctx, store.ItemCounterScope(it.UnitID, year), row.counter); err != nil {
			return err
		}
	}
	if it.Progress != "" {
		it.ProgressAt = &at
	}
	if err := st.CreateLedgerItem(ctx, &it, year); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("序号 %s 已存在", it.Number)
		}
		return err
	}
	if it.Progress != "" {
		if err := st.AddProgress(ctx, &store.ProgressUpdate{ItemID: it.ID, Text: it.Progress, Status: it.Status, Effect: it.Effect,
			Platform: actor.Platform, Account: actor.Account, MessageID: actor.MessageID}); err != nil {
			return err
		}
	}
	res.Created++
	return st.AppendAudit(ctx, store.AuditParams{Actor: actor, Entity: "ledger_item", EntityID: strconv.FormatInt(it.ID, 10),
		Action: "import_create", New: itemAudit(&it)})
}

// sameItem reports whether an import row changes nothing of an item.
func sameItem(a, b *store.LedgerItem) bool {
	sameTime := (a.ClosedAt == nil) == (b.ClosedAt == nil) && (a.ClosedAt == nil || a.ClosedAt.Equal(*b.ClosedAt))
	return a.Source == b.Source && a.Category == b.Category && a.Description == b.Description && a.Measures == b.Measures &&
		a.ResponsibleLeader == b.ResponsibleLeader && a.ResponsibleUnit == b.ResponsibleUnit && a.ResponsiblePerson == b.ResponsiblePerson &&
		civil(a.DueOn).Equal(civil(b.DueOn)) && a.Status == b.Status && a.Progress == b.Progress && a.Effect == b.Effect &&
		a.Note == b.Note && sameTime
}

// monthlyColumns are the monthly summary's columns.
var monthlyColumns = []string{"序号", "单位", "问题总数", "已整改", "正在整改", "未整改", "逾期", "月报报送", "报送时间", "往期待补报"}

// monthlyWorkbook builds the monthly summary of a period for the units
// (every unit but the office when unitIDs is nil), with a total row; the
// campaign-wide one adds the 考评 sheet.
func monthlyWorkbook(ctx context.Context, st *store.Store, c *store.Campaign, period string, unitIDs []int64, now time.Time) (*excelize.File, error) {
	due, ok := reportDue(c, period)
	if !ok {
		return nil, fmt.Errorf("handlers: %s is not a report period of campaign %s", period, c.Key)
	}
	loc := c.Location()
	day := dayOf(now, loc)
	units, err := st.Units(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	counts, err := st.ItemCountsByUnit(ctx, c.ID, day)
	if err != nil {
		return nil, err
	}
	reports, err := st.MonthlyReportsOfPeriod(ctx, c.ID, period)
	if err != nil {
		return nil, err
	}
	// The periods before this one each unit still owes today (period.go).
	owed, err := owedByUnit(ctx, st, c, period, day)
	if err != nil {
		return nil, err
	}
	f, err := newWorkbook(monthlySheet)
	if err != nil {
		return nil, err
	}
	if err := xlsxHeader(f, monthlySheet, monthlyColumns, map[string]float64{"B": 28, "H": 12, "I": 17, "J": 22}); err != nil {
		return nil, err
	}
	var total store.UnitItemCounts
	var onTime, late, missing, n int
	for _, u := range units {
		if u.IsOffice || (unitIDs != nil && !slices.Contains(unitIDs, u.ID)) {
			continue
		}
		n++
		k := counts[u.ID]
		if k == nil {
			k = &store.UnitItemCounts{}
		}
		total.Closed += k.Closed
		total.Open += k.Open
		total.NotStarted += k.NotStarted
		total.Overdue += k.Overdue
		state, when := "未报送", ""
		if m := reports[u.ID]; m != nil {
			when = m.SubmittedAt.In(loc).Format("2006-01-02 15:04")
			if m.OnTime {
				state = "按时"
				onTime++
			} else {
				state = "逾期"
				late++
			}
		} else {
			missing++
			if due.Before(day) {
				state = "逾期未报"
			}
		}
		row := []any{n, u.Name, k.Closed + k.Open + k.NotStarted, k.Closed, k.Open, k.NotStarted, k.Overdue, state, when, monthsLabel(owed[u.ID])}
		cell, _ := excelize.CoordinatesToCellName(1, n+1)
		if err := f.SetSheetRow(monthlySheet, cell, &row); err != nil {
			return nil, err
		}
	}
	row := []any{"合计", fmt.Sprintf("%d 个单位", n), total.Closed + total.Open + total.NotStarted, total.Closed, total.Open,
		total.NotStarted, total.Overdue, fmt.Sprintf("按时 %d / 逾期 %d / 未报 %d", onTime, late, missing), "", ""}
	cell, _ := excelize.CoordinatesToCellName(1, n+2)
	if err := f.SetSheetRow(monthlySheet, cell, &row); err != nil {
		return nil, err
	}
	style, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	last, _ := excelize.CoordinatesToCellName(len(monthlyColumns), n+2)
	if err := f.SetCellStyle(monthlySheet, cell, last, style); err != nil {
		return nil, err
	}
	note, _ := excelize.CoordinatesToCellName(1, n+4)
	if err := f.SetCellValue(monthlySheet, note, fmt.Sprintf("%s 阶段性工作进展情况，截止 %s；问题数统计截至 %s。已整改=已销号，正在整改=已有进展或长期推进，未整改=尚无进展。",
		periodLabel(period), due.Format(time.DateOnly), day.Format(time.DateOnly))); err != nil {
		return nil, err
	}
	if unitIDs == nil { // scores are the office's (score_sheet.go)
		if err := addScoreSheet(ctx, st, f, c, reportPeriod{period: period, due: due}, now); err != nil {
			return nil, err
		}
	}
	month, _ := time.ParseInLocation("2006-01", period, loc)
	clues, err := st.CountCluesBetween(ctx, c.ID, unitIDs, month, month.AddDate(0, 1, 0))
	if err != nil {
		return nil, err
	}
	line, _ := excelize.CoordinatesToCellName(1, n+5)
	if err := f.SetCellValue(monthlySheet, line, fmt.Sprintf("线索收集分办（%s）：收到线索 %d 条，分办 %d 条，转为台账问题 %d 条，办结（不属实、已处理、重复、不属于本次整治）%d 条。",
		periodLabel(period), clues.Received, clues.Assigned, clues.Converted, clues.Closed)); err != nil {
		return nil, err
	}
	return f, nil
}

// ExportMonthly writes the current campaign's monthly summary of period
// (YYYY-MM) as .xlsx to w.
func ExportMonthly(ctx context.Context, st *store.Store, w io.Writer, period string, now time.Time) error {
	c, err := st.CurrentCampaign(ctx)
	if err != nil {
		return fmt.Errorf("handlers: export monthly: no campaign: %w", err)
	}
	if _, err := time.Parse("2006-01", period); err != nil {
		return fmt.Errorf("handlers: export monthly: --period %q is not YYYY-MM", period)
	}
	f, err := monthlyWorkbook(ctx, st, c, period, nil, now)
	if err != nil {
		return fmt.Errorf("handlers: export monthly: %w", err)
	}
	defer f.Close()
	if err := f.Write(w); err != nil {
		return fmt.Errorf("handlers: export monthly: write: %w", err)
	}
	return nil
}

// workbookBytes renders a workbook.
func workbookBytes(f *excelize.File) ([]byte, error) {
	defer f.Close()
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, fmt.Errorf("handlers: write workbook: %w", err)
	}
	return buf.Bytes(), nil
}
