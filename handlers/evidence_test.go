package handlers

import (
	"strings"
	"testing"

	"zhenggai/bot"
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
