package handlers

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"zhenggai/store"
)

// clueSheet is the clue pool's sheet; clueImportColumns are what
// `zhenggai clue import` reads, in order; an export has them after the
// number and before the handling columns.
const clueSheet = "线索收集分办"

var clueImportColumns = []string{"来源", "反映内容", "涉及单位", "联系人", "联系电话"}

var clueExportColumns = slices.Concat([]string{"线索编号"}, clueImportColumns,
	[]string{"登记时间", "状态", "承办单位", "办理期限", "签收时间", "办理结果", "台账问题编号", "理由或答复"})

// ExportClues writes the campaign's clue pool as .xlsx to w and returns
// how many clues it holds.
func ExportClues(ctx context.Context, st *store.Store, w io.Writer, now time.Time) (int, error) {
	c, err := st.CurrentCampaign(ctx)
	if err != nil {
		return 0, fmt.Errorf("handlers: export clues: no campaign: %w", err)
	}
	loc := c.Location()
	cs, err := st.Clues(ctx, c.ID, store.ClueFilter{}, dayOf(now, loc))
	if err != nil {
		return 0, err
	}
	units, err := st.Units(ctx, c.ID)
	if err != nil {
		return 0, err
	}
	name := map[int64]string{}
	for _, u := range units {
		name[u.ID] = u.Name
	}
	var itemIDs []int64
	for _, cl := range cs {
		if cl.ItemID != nil {
			itemIDs = append(itemIDs, *cl.ItemID)
		}
	}
	items, err := st.LedgerItemsByIDs(ctx, itemIDs)
	if err != nil {
		return 0, err
	}
	f, err := newWorkbook(clueSheet)
	if err != nil {
		return 0, fmt.Errorf("handlers: export clues: %w", err)
	}
	defer f.Close()
	if err := xlsxHeader(f, clueSheet, clueExportColumns, map[string]float64{"C": 50, "N": 40}); err != nil {
		return 0, fmt.Errorf("handlers: export clues: %w", err)
	}
	idName := func(id *int64) string {
		if id == nil {
			return ""
		}
		return name[*id]
	}
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04")
	}
	for i, cl := range cs {
		due, item := "", ""
		if cl.DueOn != nil {
			due = civil(*cl.DueOn).Format(time.DateOnly)
		}
		if cl.ItemID != nil && items[*cl.ItemID] != nil {
			item = items[*cl.ItemID].Number
		}
		note := cl.CloseReason
		if note == "" {
			note = cl.Answer
		}
		row := []any{cl.Number, cl.Source, cl.Content, idName(cl.UnitHintID), cl.ContactName, cl.ContactPhone,
			cl.CreatedAt.In(loc).Format("2006-01-02 15:04"), clueStateNames[cl.State], idName(cl.UnitID), due, at(cl.SignedAt),
			cl.Outcome, item, note}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(clueSheet, cell, &row); err != nil {
			return 0, fmt.Errorf("handlers: export clues: %w", err)
		}
	}
	if err := f.Write(w); err != nil {
		return 0, fmt.Errorf("handlers: export clues: write: %w", err)
	}
	return len(cs), nil
}

// ImportClues reads a spreadsheet of clues (columns 来源, 反映内容, 涉及单位,
// 联系人, 联系电话; an export's extra columns are ignored) and registers
// each as a new clue, audited as actor. Strict like the ledger import:
// every bad row is reported in an *ImportError and nothing is imported
// when one is bad. It returns how many clues it registered.
func ImportClues(ctx context.Context, st *store.Store, rd io.Reader, actor store.Actor, now time.Time) (int, error) {
	c, err := st.CurrentCampaign(ctx)
	if err != nil {
		return 0, fmt.Errorf("handlers: import clues: no campaign: %w", err)
	}
	units, err := st.Units(ctx, c.ID)
	if err != nil {
		return 0, err
	}
	parsed, err := parseClueFile(rd, units)
	if err != nil {
		return 0, &ClueImportError{err.(*ImportError)}
	}
	err = st.InTx(ctx, func(tx *store.Store) error {
		for _, cl := range parsed {
			cl.CampaignID, cl.CreatedAt = c.ID, now
			if err := tx.CreateClue(ctx, cl, now.In(c.Location()).Year()); err != nil {
				return err
			}
			if err := tx.AppendAudit(ctx, store.AuditParams{Actor: actor, Entity: "clue", EntityID: strconv.FormatInt(cl.ID, 10),
				Action: "import", New: cl}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("handlers: import clues: %w", err)
	}
	return len(parsed), nil
}

// ClueImportError lists every bad row of a clue import; nothing was
// imported.
type ClueImportError struct{ *ImportError }

func (e *ClueImportError) Error() string {
	return fmt.Sprintf("线索导入失败，未导入任何数据，共 %d 处错误：\n%s", len(e.Problems), strings.Join(e.Problems, "\n"))
}

// parseClueFile validates every row without touching the database.
func parseClueFile(rd io.Reader, units []*store.Unit) ([]*store.Clue, error) {
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
	if slices.Contains(sheets, clueSheet) {
		sheet = clueSheet
	}
	rows, err := f.GetRows(sheet)
	if err != nil {
		return nil, &ImportError{Problems: []string{fmt.Sprintf("文件已损坏，无法读取工作表“%s”", sheet)}}
	}
	if len(rows) == 0 {
		return nil, &ImportError{Problems: []string{"未找到表头：列顺序应为 " + strings.Join(clueImportColumns, "、")}}
	}
	// An export starts with 线索编号: its columns shift by one.
	off := 0
	if len(rows[0]) > 0 && strings.TrimSpace(rows[0][0]) == "线索编号" {
		off = 1
	}
	for i, name := range clueImportColumns {
		if i+off >= len(rows[0]) || strings.TrimSpace(rows[0][i+off]) != name {
			return nil, &ImportError{Problems: []string{fmt.Sprintf("第 1 行（表头）：第 %d 列应为“%s”，列顺序为 %s", i+off+1, name, strings.Join(clueImportColumns, "、"))}}
		}
	}
	byName := map[string]*store.Unit{}
	for _, u := range units {
		if !u.IsOffice {
			byName[u.Name], byName[u.Key] = u, u
		}
	}
	var out []*store.Clue
	var problems []string
	for i := 1; i < len(rows); i++ {
		cells := make([]string, len(clueImportColumns))
		empty := true
		for j := range cells {
			if j+off < len(rows[i]) {
				cells[j] = strings.TrimSpace(rows[i][j+off])
				empty = empty && cells[j] == ""
			}
		}
		if empty {
			continue
		}
		var bad []string
		cl := &store.Clue{Source: cells[0], Content: cells[1], ContactName: cells[3], ContactPhone: cells[4]}
		if !slices.Contains(clueSources, cl.Source) {
			bad = append(bad, fmt.Sprintf("来源“%s”无效，应为 %s 之一", cells[0], strings.Join(clueSources, "、")))
		}
		if cl.Content == "" {
			bad = append(bad, "反映内容不能为空")
		} else if len([]rune(cl.Content)) > 2000 {
			bad = append(bad, "反映内容超过 2000 字")
		}
		if cells[2] != "" {
			if u := byName[cells[2]]; u != nil {
				cl.UnitHintID = &u.ID
			} else {
				bad = append(bad, fmt.Sprintf("涉及单位“%s”不是本次专项整治的单位", cells[2]))
			}
		}
		if cl.ContactPhone != "" && !cluePhoneRe.MatchString(cl.ContactPhone) {
			bad = append(bad, fmt.Sprintf("联系电话“%s”无效", cl.ContactPhone))
		}
		if len([]rune(cl.ContactName)) > 50 {
			bad = append(bad, "联系人超过 50 字")
		}
		if len(bad) > 0 {
			problems = append(problems, fmt.Sprintf("第 %d 行：%s", i+1, strings.Join(bad, "；")))
			continue
		}
		out = append(out, cl)
	}
	if len(problems) > 0 {
		return nil, &ImportError{Problems: problems}
	}
	return out, nil
}
