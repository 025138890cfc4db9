package handlers

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"

	"zhenggai/store"
)

// The ledger importer's parse step, fuzzed on the bytes of the uploaded
// file. It needs no database: the campaign, its units and its items are
// fixed here.

var (
	sheetCampaign = &store.Campaign{ID: 1, Key: "demo", Name: "专项整治", Timezone: "Asia/Shanghai"}
	sheetUnits    = []*store.Unit{
		{ID: 10, CampaignID: 1, Key: "lingbao", Name: "灵宝市交通运输局", Code: "LB"},
		{ID: 11, CampaignID: 1, Key: "yima", Name: "义马市交通运输局", Code: "YM"},
	}
)

// sheetItems are existing items in every status the ledger shows.
func sheetItems() []*store.LedgerItem {
	closed := time.Date(2026, 11, 20, 9, 30, 0, 0, sheetCampaign.Location())
	due := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	return []*store.LedgerItem{
		{ID: 1, CampaignID: 1, UnitID: 10, Number: "LB-2026-001", Source: "12328热线", Category: "执法不规范", Description: "执法记录仪未全程开启",
			Measures: "逐车检查", ResponsibleLeader: "王局长", DueOn: due, Status: store.ItemInProgress, Progress: "已检查 12 辆"},
		{ID: 2, CampaignID: 1, UnitID: 10, Number: "LB-2026-002", Source: "自查自纠", Category: "执法“寻租”", Description: "罚没款\n未及时上缴",
			DueOn: due, Status: store.ItemLongTerm, Progress: "建立台账", Effect: "已追缴 3 笔"},
		{ID: 3, CampaignID: 1, UnitID: 11, Number: "YM-2026-001", Source: "上级交办", Category: "逐利执法", Description: "超范围收费",
			DueOn: due, Status: store.ItemClosed, Progress: "已退还", ClosedAt: &closed, Note: "已复核"},
		{ID: 4, CampaignID: 1, UnitID: 11, Number: "YM-2026-002", Source: "信访投诉", Category: "执法粗暴", Description: "态度恶劣",
			DueOn: due, Status: store.ItemCloseRequested},
	}
}

// sheetBytes renders a workbook.
func sheetBytes(tb testing.TB, f *excelize.File) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// sheetSeeds are the importer's seed inputs: the exporter's own ledger, a
// ledger with bad rows, an empty ledger, a workbook without the header, and
// truncated and corrupted files.
func sheetSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	exported, err := ledgerFile(sheetCampaign, sheetUnits, sheetItems())
	if err != nil {
		tb.Fatal(err)
	}
	valid := sheetBytes(tb, exported)
	bad := [][]any{
		{"", "灵宝市交通运输局", "12328热线", "执法不规范", "新问题", "措施", "", "", "", "2026-12-20", "", "整改中", "否", "", ""},
		{"", "不存在的局", "朋友圈", "乱收费", "", "", "", "", "", "明天", "", "已销号", "否", "", ""},
		{"LB-2026-001", "yima", "自查自纠", "执法粗暴", "单位不符", "", "", "", "", "46000", "", "长期推进", "", "", ""},
		{"XX-1", "LB", "自查自纠", "执法粗暴", "编号错", "", "", "", "", "2026/12/20", "", "申请销号", "也许", "2026-11-26 10:00", ""},
		{"lb-2026-001", "灵宝市交通运输局", "自查自纠", "执法粗暴", "重复", "", "", "", "", "2026-12-20", "", "", "", "", ""},
	}
	badFile, err := ledgerFile(sheetCampaign, sheetUnits, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for i, row := range bad {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := badFile.SetSheetRow(ledgerSheet, cell, &row); err != nil {
			tb.Fatal(err)
		}
	}
	empty, err := ledgerFile(sheetCampaign, sheetUnits, nil)
	if err != nil {
		tb.Fatal(err)
	}
	corrupt := bytes.Clone(valid)
	for i := len(corrupt) / 3; i < len(corrupt); i += 97 {
		corrupt[i] ^= 0x5a
	}
	return [][]byte{
		valid,
		sheetBytes(tb, badFile),
		sheetBytes(tb, empty),
		sheetBytes(tb, excelize.NewFile()),
		valid[:len(valid)/2],
		valid[:30],
		corrupt,
		[]byte("序号,单位\n1,灵宝\n"),
		nil,
	}
}

// FuzzImportSheet feeds the importer's parse step arbitrary files: it
// never panics, and returns either rows that pass validation or an
// *ImportError whose every problem is a Chinese sentence.
func FuzzImportSheet(f *testing.F) {
	for _, s := range sheetSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := parseLedgerFile(bytes.NewReader(data), sheetCampaign, sheetUnits, sheetItems())
		if err != nil {
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("not an *ImportError: %v", err)
			}
			if len(rows) != 0 || len(ie.Problems) == 0 {
				t.Fatalf("%d rows and %d problems", len(rows), len(ie.Problems))
			}
			for _, p := range ie.Problems {
				if !slices.ContainsFunc([]rune(p), func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
					t.Fatalf("problem without a Chinese reason: %q", p)
				}
			}
			return
		}
		for _, r := range rows {
			it := r.item
			if !slices.ContainsFunc(sheetUnits, func(u *store.Unit) bool { return u.ID == it.UnitID }) ||
				it.Description == "" || !slices.Contains(itemSources, it.Source) || !slices.Contains(itemCategories, it.Category) ||
				statusNames[it.Status] == "" || it.DueOn.IsZero() || (it.Status == store.ItemClosed) != (it.ClosedAt != nil) {
				t.Fatalf("line %d accepted invalid: %+v", r.line, it)
			}
		}
	})
}

// TestLedgerFileRoundTrip: the exporter's workbook parses back into the
// same items, each matched to the existing item of its number.
func TestLedgerFileRoundTrip(t *testing.T) {
	items := sheetItems()
	rows, err := parseLedgerFile(bytes.NewReader(sheetSeeds(t)[0]), sheetCampaign, sheetUnits, items)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(items) {
		t.Fatalf("%d rows, want %d", len(rows), len(items))
	}
	for i, r := range rows {
		want, got := items[i], r.item
		if r.existing != want || got.Number != want.Number || got.UnitID != want.UnitID || got.Description != want.Description ||
			got.Status != want.Status || got.Progress != want.Progress || got.Effect != want.Effect || !got.DueOn.Equal(want.DueOn) ||
			(want.ClosedAt != nil && (got.ClosedAt == nil || !got.ClosedAt.Equal(*want.ClosedAt))) || got.Note != want.Note {
			t.Errorf("row %d: got %+v, want %+v", i, got, *want)
		}
	}
	// The seed with bad rows is refused with every bad row named.
	_, err = parseLedgerFile(bytes.NewReader(sheetSeeds(t)[1]), sheetCampaign, sheetUnits, items)
	var ie *ImportError
	if !errors.As(err, &ie) || len(ie.Problems) != 4 {
		t.Fatalf("bad rows: %v", err)
	}
}

// TestLedgerFileZipBomb: a workbook whose sheet unzips past the limit is
// refused with a Chinese reason, not unpacked.
func TestLedgerFileZipBomb(t *testing.T) {
	good := sheetSeeds(t)[0]
	zr, err := zip.NewReader(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(f.Name, "xl/worksheets/") {
			// Blank space compresses a thousandfold.
			chunk := bytes.Repeat([]byte(" "), 1<<20)
			for range importUnzipLimit>>20 + 1 {
				if _, err := w.Write(chunk); err != nil {
					t.Fatal(err)
				}
			}
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 1<<20 {
		t.Fatalf("the bomb is %d bytes: it should be small", buf.Len())
	}
	_, err = parseLedgerFile(bytes.NewReader(buf.Bytes()), sheetCampaign, sheetUnits, sheetItems())
	var ie *ImportError
	if !errors.As(err, &ie) || !strings.Contains(strings.Join(ie.Problems, ""), "超过 64 MB") {
		t.Fatalf("got %v, want the size refusal", err)
	}
}
