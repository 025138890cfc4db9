package handlers

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"zhenggai/cards"
	"zhenggai/store"
)

func clueWorkbook(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestClueImportStrictAndExport: a sheet with bad rows (an unknown source,
// an empty content, a unit not of the campaign, a bad phone) is refused
// naming each, and imports nothing; a good one registers every row; the
// export holds them with their state and, after 分办, the unit.
func TestClueImportStrictAndExport(t *testing.T) {
	f := newLgFixture(t)
	header := []any{"来源", "反映内容", "涉及单位", "联系人", "联系电话"}
	bad := clueWorkbook(t, [][]any{header,
		{"12328", "治超站乱罚款", "灵宝市交通运输局", "张先生", "13900001111"},
		{"电话", "内容", "", "", ""},
		{"媒体", "", "火星交通局", "", "abc"},
	})
	_, err := ImportClues(f.ctx, f.st, bytes.NewReader(bad), store.System, f.h.Clock.Now())
	var ie *ClueImportError
	if !errors.As(err, &ie) || len(ie.Problems) != 2 {
		t.Fatalf("bad sheet: %v", err)
	}
	for _, want := range []string{"线索导入失败，未导入任何数据", "第 3 行：来源“电话”无效", "第 4 行：反映内容不能为空", "涉及单位“火星交通局”不是本次专项整治的单位", "联系电话“abc”无效"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q not in %s", want, err)
		}
	}
	if cs, _ := f.st.Clues(f.ctx, f.camp.ID, store.ClueFilter{}, today0(f)); len(cs) != 0 {
		t.Fatalf("a bad sheet imported %d", len(cs))
	}
	if _, err := ImportClues(f.ctx, f.st, bytes.NewReader(clueWorkbook(t, [][]any{{"来源", "内容"}})), store.System, f.h.Clock.Now()); err == nil || !strings.Contains(err.Error(), "表头") {
		t.Errorf("bad header: %v", err)
	}
	good := clueWorkbook(t, [][]any{header,
		{"12328", "治超站乱罚款", "灵宝市交通运输局", "张先生", "13900001111"},
		{"信访", "执法人员态度粗暴", "yima", "", ""},
	})
	n, err := ImportClues(f.ctx, f.st, bytes.NewReader(good), store.System, f.h.Clock.Now())
	if err != nil || n != 2 {
		t.Fatalf("import: %d %v", n, err)
	}
	c := f.clueByNumber(t, "XS-2026-001")
	if c.UnitHintID == nil || *c.UnitHintID != f.unit(t, "lingbao").ID || c.ContactPhone != "13900001111" || c.State != store.ClueNew {
		t.Fatalf("imported: %+v", c)
	}
	if got := f.auditActions(t, "clue", c.ID); len(got) != 1 || got[0] != "import" {
		t.Errorf("audit: %v", got)
	}
	f.click(t, lgOffice, "clue.assign.submit", clueParams(c), cards.Values{"unit": {"lingbao"}, "due": {"2026-12-10"}})

	var buf bytes.Buffer
	n, err = ExportClues(f.ctx, f.st, &buf, f.h.Clock.Now())
	if err != nil || n != 2 {
		t.Fatalf("export: %d %v", n, err)
	}
	rows := sheetRows(t, buf.Bytes())
	if strings.Join(rows[0], ",") != strings.Join(clueExportColumns, ",") {
		t.Errorf("header %v", rows[0])
	}
	all := ""
	for _, r := range rows {
		all += strings.Join(r, "|") + "\n"
	}
	wantContains(t, "export", all, "XS-2026-001|12328|治超站乱罚款|灵宝市交通运输局|张先生|13900001111", "已分办，待签收|灵宝市交通运输局|2026-12-10", "XS-2026-002|信访")
	// An export reads back as an import (its number column skipped).
	if n, err := ImportClues(f.ctx, f.st, bytes.NewReader(buf.Bytes()), store.System, f.h.Clock.Now()); err != nil || n != 2 {
		t.Errorf("re-import of an export: %d %v", n, err)
	}
}

func today0(f *lgFixture) time.Time { return dayOf(f.h.Clock.Now(), f.camp.Location()) }
