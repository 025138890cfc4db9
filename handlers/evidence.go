package handlers

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// Evidence on the way out. An item's card and an enterprise request's card
// list their files (name, size, who, when: the newest few, with the count)
// with a 查看 button each; evidence.open (or "查看佐证 <编号>") sends the
// file to the asker's 1:1 chat through the platform's upload API (the
// simulator shows it as a link its HTTP server serves), after CanSeeFile,
// and leaves an audit row. WeCom's uploaded media last 3 days: each
// opening uploads the file again.

// evidenceShown is how many files a card lists.
const evidenceShown = 3

// CanSeeFile reports whether v may open the stored file: the office sees
// every file; anyone else only a file on an item of a unit he is liaison,
// leader or member of, or on a request of his enterprise (its contacts),
// that he handles or whose enterprise he is the contact leader of. Every
// way out (the chat, the export's callers, the dashboard) asks it.
func CanSeeFile(ctx context.Context, st *store.Store, v Viewer, fileID int64) (bool, error) {
	holders, err := st.FileHolders(ctx, fileID)
	if err != nil || len(holders) == 0 {
		return false, err
	}
	if v.Person != nil && v.Roles.Office {
		return true, nil
	}
	for _, h := range holders {
		switch {
		case h.ItemID != nil && v.Person != nil:
			it, err := st.LedgerItemByID(ctx, *h.ItemID)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return false, err
			}
			if CanSeeUnit(v, it.UnitID) {
				return true, nil
			}
		case h.RequestID != nil:
			q, err := st.EnterpriseRequestByID(ctx, *h.RequestID)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return false, err
			}
			if canSeeRequest(v, q) {
				return true, nil
			}
		}
	}
	return false, nil
}

// SizeLabel is sizeLabel, for the dashboard's pages.
func SizeLabel(n int) string { return sizeLabel(n) }

// sizeLabel is a file size for people: 245 KB, 3.2 MB.
func sizeLabel(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+512)>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// maxCardButtons is the fewest buttons a platform's card holds (DingTalk's
// template cards and WeCom's both take 6).
var maxCardButtons = min(cards.DingTalkMaxButtons, cards.WeComMaxButtons)

// withEvidence adds the list of files to c, before its last block (its
// buttons): the newest few with their numbers, and a 查看佐证 button that
// sends them, unless c has no room left for a button (the office's item
// card); then a note says how to ask by number. Nothing without files.
func withEvidence(c *cards.Card, ev []store.Evidence, total int, loc *time.Location) {
	if total == 0 {
		return
	}
	head := fmt.Sprintf("**佐证材料**（共 %d 个）", total)
	if total > len(ev) {
		head = fmt.Sprintf("**佐证材料**（共 %d 个，显示最近 %d 个）", total, len(ev))
	}
	lines := []string{head}
	var ids []string
	for _, e := range ev {
		id := strconv.FormatInt(e.FileID, 10)
		lines = append(lines, fmt.Sprintf("· %s（%s）%s %s · 编号 %s", truncate(e.Name, 40), sizeLabel(e.Size), e.Sender, e.At.In(loc).Format("01-02 15:04"), id))
		ids = append(ids, id)
	}
	blocks := []cards.Block{cards.MD(strings.Join(lines, "\n"))}
	if len(c.Buttons()) < maxCardButtons {
		// One button (the platforms allow few per card) sends the files
		// listed; "查看佐证 <编号>" sends one.
		blocks = append(blocks, cards.ButtonsBlock(cards.Button{Text: "查看佐证", Action: "evidence.open",
			Params: map[string]string{"file": strings.Join(ids, ",")}, Command: "查看佐证 " + strings.Join(ids, " ")}))
	} else {
		blocks = append(blocks, evidenceNote(ids[0]))
	}
	n := len(c.Blocks)
	if n == 0 {
		c.Blocks = blocks
		return
	}
	last := c.Blocks[n-1]
	c.Blocks = append(append(c.Blocks[:n-1:n-1], blocks...), last)
}

// evidenceNote says how to ask for a file by number, where a card has no
// room for the button.
func evidenceNote(id string) cards.Block {
	return cards.NoteBlock("查看文件请发送“查看佐证 " + id + "”（编号见上）。")
}

// makeRoomForButtons turns c's 查看佐证 button into the note when c cannot
// take n more buttons; it reports whether c can take them now.
func makeRoomForButtons(c *cards.Card, n int) bool {
	if len(c.Buttons())+n <= maxCardButtons {
		return true
	}
	for i, b := range c.Blocks {
		if len(b.Buttons) == 1 && b.Buttons[0].Action == "evidence.open" {
			id, _, _ := strings.Cut(b.Buttons[0].Params["file"], ",")
			c.Blocks[i] = evidenceNote(id)
			break
		}
	}
	return len(c.Buttons())+n <= maxCardButtons
}

// itemEvidence adds an item's files to its card c.
func itemEvidence(ctx context.Context, st *store.Store, c *cards.Card, itemID int64, loc *time.Location) error {
	ev, n, err := st.ItemEvidence(ctx, itemID, evidenceShown)
	if err != nil {
		return err
	}
	withEvidence(c, ev, n, loc)
	return nil
}

// evidenceOpen answers evidence.open {file: "41,40"} and "查看佐证 41 40":
// each file goes to the asker's 1:1 chat if CanSeeFile lets him, with an
// audit row of the opening; one he may not see refuses the whole request.
func (h *handler) evidenceOpen(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := requireCampaign(r); err != nil {
		return nil, err
	}
	raw := r.Args
	if r.Event.Action != nil {
		raw = actionParam(r, "file")
	}
	fields := strings.FieldsFunc(raw, func(c rune) bool { return c == ',' || c == ' ' || c == '，' || c == '、' })
	if len(fields) == 0 || len(fields) > 10 {
		return nil, bot.Refuse("请在“查看佐证”后写上文件编号，例如“查看佐证 12”（编号见问题卡片的佐证材料），一次最多 10 个。")
	}
	var names []string
	for _, fld := range fields {
		id, err := strconv.ParseInt(fld, 10, 64)
		if err != nil || id <= 0 {
			return nil, bot.Refuse("文件编号“%s”有误，应为数字，例如“查看佐证 12”。", fld)
		}
		f, err := r.Store.FileMeta(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, bot.Refuse("文件 %d 不存在。", id)
		}
		if err != nil {
			return nil, err
		}
		ok, err := CanSeeFile(ctx, r.Store, viewerOf(r), id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, bot.Refuse("您无权查看文件 %d：佐证材料仅对所属问题或诉求的单位联络人、领导、企业和专项整治办公室开放。", id)
		}
		if err := r.Store.AppendAudit(ctx, store.AuditParams{Actor: r.Actor(), Entity: "file", EntityID: strconv.FormatInt(id, 10),
			Action: "open", New: map[string]any{"name": f.Name, "size": f.Size, "sha256": hex.EncodeToString(f.SHA256)}}); err != nil {
			return nil, err
		}
		r.Send(bot.Outgoing{To: r.DirectTarget(), Message: bot.Message{File: &bot.File{Name: f.Name, MIME: f.MIME, StoredID: id}}})
		names = append(names, "“"+f.Name+"”")
	}
	msg := fmt.Sprintf("已将%s发送到您与我的单聊。", strings.Join(names, ""))
	if r.Event.Action != nil {
		return &bot.Reply{Toast: msg, ToastKind: "success"}, nil
	}
	return &bot.Reply{Text: msg}, nil
}
