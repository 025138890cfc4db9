package handlers

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// itemFiles returns the ids of the files on an item's progress entries.
func (f *lgFixture) itemFiles(t *testing.T, it *store.LedgerItem) []int64 {
	t.Helper()
	rows, err := f.st.DB().Query(f.ctx, `SELECT file_id FROM progress_updates WHERE item_id = $1 AND file_id IS NOT NULL ORDER BY id`, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

// TestProgressKeepsEveryFile: "进展：" with several files keeps each of
// them on the item; a program and a file over FILE_MAX_MB are answered by
// name and not kept, and the rest of the message still counts.
func TestProgressKeepsEveryFile(t *testing.T) {
	f := newLgFixture(t)
	it := f.newItem(t, lgLiaison, "罚没款未及时上缴", "2026-12-20")
	f.h.Deliver()

	big := bot.File{Name: "执法录像.zip", Content: make([]byte, bot.DefaultFileMax+1)}
	exe := bot.File{Name: "整改工具.exe", Content: []byte("MZ\x90\x00 program")}
	got := f.sendFiles(t, lgLiaison, "进展："+it.Number+" 已上缴罚没款", photo("缴款凭证.jpg"), photo("现场照片.jpg"), big, exe)
	wantContains(t, "answer", got, "已记入 "+it.Number, "文件“执法录像.zip”超过 20 MB，未保存；请压缩后重发或分多次发送",
		"文件“整改工具.exe”是可执行程序或脚本")
	if ids := f.itemFiles(t, it); len(ids) != 2 {
		t.Fatalf("files on the item: %v, want the two photos", ids)
	}
	fresh := f.item(t, it.Number)
	wantContains(t, "佐证 column", fresh.Evidence, "缴款凭证.jpg、现场照片.jpg")
	var n int
	if err := f.st.DB().QueryRow(f.ctx, `SELECT count(*) FROM files WHERE name IN ('执法录像.zip', '整改工具.exe')`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("refused files stored: %d %v", n, err)
	}

	// Only refused files, no caption: the notices and nothing else.
	got = f.sendFiles(t, lgLiaison, "", exe)
	if !strings.Contains(got, "整改工具.exe") || strings.Contains(got, "请选择对应的问题") {
		t.Fatalf("only a refused file: %s", got)
	}
}

// TestEvidenceWaysOut: the item card lists its files with who and when;
// the liaison and the leader get a file sent to their 1:1 chat (an audit
// row each), another unit's liaison is refused, and a file number that
// does not exist or is garbage gets a clear answer; none of those sends
// anything.
func TestEvidenceWaysOut(t *testing.T) {
	f := newLgFixture(t)
	it := f.newItem(t, lgLiaison, "罚没款未及时上缴", "2026-12-20")
	f.h.Deliver()
	f.sendFiles(t, lgLiaison, "进展："+it.Number+" 已上缴", photo("缴款凭证.jpg"), photo("现场照片.jpg"))
	ids := f.itemFiles(t, it)
	if len(ids) != 2 {
		t.Fatalf("files %v", ids)
	}
	r := f.click(t, lgLeader, "item.show", ref(f.item(t, it.Number)), nil)
	card := cardText(r.Card)
	wantContains(t, "item card", card, "佐证材料**（共 2 个）", "缴款凭证.jpg", "现场照片.jpg", "李晓燕", "[查看佐证]")
	var open map[string]string
	for _, b := range r.Card.Buttons() {
		if b.Action == "evidence.open" {
			open = b.Params
		}
	}
	for _, who := range []string{lgLiaison, lgLeader, lgOffice} {
		r := f.click(t, who, "evidence.open", open, nil)
		if r.ToastKind != "success" {
			t.Fatalf("%s: %q", who, r.Toast)
		}
		var files []string
		for _, s := range sentTo(f.h.Deliver(), who) {
			if s.Message.File != nil {
				files = append(files, s.Message.File.Name+":"+string(s.Message.File.Content))
			}
		}
		if got := strings.Join(files, "|"); len(files) != 2 || !strings.Contains(got, "缴款凭证.jpg:\xff\xd8") || !strings.Contains(got, "现场照片.jpg:\xff\xd8") {
			t.Fatalf("%s got %v", who, files)
		}
	}
	if n := len(f.auditActions(t, "file", ids[0])); n != 3 {
		t.Fatalf("openings audited: %d, want 3", n)
	}
	// The office's card has 督办 and 挂牌督办 too: the file list stays, the
	// button gives way to a note, and the card fits WeCom's and DingTalk's
	// six buttons.
	r = f.click(t, lgOffice, "item.show", ref(f.item(t, it.Number)), nil)
	wantContains(t, "office card", cardText(r.Card), "缴款凭证.jpg", "[督办]", "查看佐证 ")
	if err := r.Card.CheckLimits(cards.WeComLimits, nil); err != nil {
		t.Fatalf("office card: %v", err)
	}
	for _, bad := range []struct{ who, text, want string }{
		{lgYimaLiais, fmt.Sprintf("查看佐证 %d", ids[0]), "您无权查看文件"},
		{lgLiaison, "查看佐证 999999", "文件 999999 不存在"},
		{lgLiaison, "查看佐证 abc", "文件编号“abc”有误"},
		{lgLiaison, "查看佐证", "请在“查看佐证”后写上文件编号"},
	} {
		sent := f.say(t, bad.who, "", bad.text)
		if len(sent) != 1 || sent[0].Message.File != nil {
			t.Fatalf("%s %q: %+v", bad.who, bad.text, sent)
		}
		wantContains(t, bad.text, sentText(sent[0]), bad.want)
	}
	if n := len(f.auditActions(t, "file", ids[0])); n != 3 {
		t.Fatalf("a refusal was audited as an opening: %d", n)
	}
}

// TestEvidenceExport: the export writes every file of the items in a
// folder per unit and item with a manifest whose sha256 sums match the
// files; an item or unit that does not exist is refused by name and
// nothing is written.
func TestEvidenceExport(t *testing.T) {
	f := newLgFixture(t)
	it := f.newItem(t, lgLiaison, "罚没款未及时上缴", "2026-12-20")
	f.h.Deliver()
	f.sendFiles(t, lgLiaison, "进展："+it.Number+" 已上缴", photo("缴款凭证.jpg"), photo("现场照片.jpg"))
	f.sendFiles(t, lgLiaison, "进展："+it.Number+" 补发", photo("现场照片.jpg")) // the same bytes again
	dir := t.TempDir()
	n, err := ExportEvidence(f.ctx, f.st, dir, "", "")
	if err != nil || n != 2 {
		t.Fatalf("export: %d %v", n, err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(raw), "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "问题编号" {
		t.Fatalf("manifest %q %v", raw, err)
	}
	for _, row := range rows[1:] {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(row[2])))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if row[0] != it.Number || !strings.HasPrefix(row[2], "灵宝市交通运输局/"+it.Number+"/") || row[3] != hex.EncodeToString(sum[:]) || row[5] != "李晓燕" {
			t.Errorf("manifest row %v", row)
		}
	}
	// The ledger workbook lists the same files, with the same sums, in
	// its 佐证 column, and still imports.
	var buf bytes.Buffer
	if _, err := ExportLedger(f.ctx, f.st, &buf, "lingbao"); err != nil {
		t.Fatal(err)
	}
	sheet := sheetRows(t, buf.Bytes())
	if sheet[0][len(ledgerColumns)+1] != "佐证" {
		t.Fatalf("header %v", sheet[0])
	}
	found := false
	for _, row := range sheet[1:] {
		if row[0] != it.Number {
			continue
		}
		found = true
		cell := row[len(ledgerColumns)+1]
		for _, m := range rows[1:] {
			if !strings.Contains(cell, "sha256 "+m[3]) {
				t.Errorf("佐证 cell %q lacks %s", cell, m[3])
			}
		}
		wantContains(t, "佐证 cell", cell, "缴款凭证.jpg", "现场照片.jpg")
	}
	if !found {
		t.Fatalf("item %s not in the ledger", it.Number)
	}
	if _, err := ImportLedger(f.ctx, f.st, bytes.NewReader(buf.Bytes()), store.System); err != nil {
		t.Fatalf("the exported ledger no longer imports: %v", err)
	}

	if n, err := ExportEvidence(f.ctx, f.st, dir, "yima", ""); err != nil || n != 0 {
		t.Fatalf("another unit: %d %v", n, err)
	}
	empty := filepath.Join(t.TempDir(), "out")
	for _, bad := range [][2]string{{"", "LB-2026-999"}, {"nowhere", ""}} {
		if _, err := ExportEvidence(f.ctx, f.st, empty, bad[0], bad[1]); err == nil || !strings.Contains(err.Error(), cmp.Or(bad[0], bad[1])) {
			t.Errorf("%v: %v", bad, err)
		}
		if _, err := os.Stat(empty); !os.IsNotExist(err) {
			t.Errorf("%v wrote %s", bad, empty)
		}
	}
}

// TestFilesOneByOneJoin: pictures sent one message each, without a
// caption (as WeCom sends them), join one pending set while they come
// within minutes: the question lists them all and one answer attaches
// them all; later files start a set of their own.
func TestFilesOneByOneJoin(t *testing.T) {
	f := newLgFixture(t)
	it := f.newItem(t, lgLiaison, "罚没款未及时上缴", "2026-12-20")
	f.h.Deliver()
	f.sendFiles(t, lgLiaison, "", photo("照片一.jpg"))
	f.h.Clock.Advance(2 * time.Minute)
	got := f.sendFiles(t, lgLiaison, "", photo("照片二.jpg"))
	wantContains(t, "second question", got, "“照片一.jpg”“照片二.jpg”（共 2 个）")
	sent := f.say(t, lgLiaison, "", "佐证 "+it.Number)
	wantContains(t, "attach", sentText(sentTo(sent, lgLiaison)[0]), "已将 2 个附件记为 "+it.Number)
	if n := len(f.itemFiles(t, it)); n != 2 {
		t.Fatalf("files on the item: %d", n)
	}
	f.h.Clock.Advance(time.Hour)
	got = f.sendFiles(t, lgLiaison, "", photo("照片三.jpg"))
	wantContains(t, "a new set", got, "“照片三.jpg”（共 1 个）")
}
