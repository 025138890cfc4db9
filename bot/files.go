package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"time"

	"zhenggai/store"
)

// Files on the way in. A platform hands its adapter a message whose
// attachments are only references (a Feishu file_key, a DingTalk
// downloadCode, a WeCom media_id); the adapter puts them in Event.Files with
// Ref set and no Content, and the bot answers the callback at once: it
// records the event (its dedupe row) and queues a fetch job in the outbox,
// in the same transaction. The delivery worker runs the job like a send
// (claimed with SKIP LOCKED, leased, retried with backoff): it downloads
// every attachment through the adapter's FileFetcher, then dispatches the
// event with the files' contents to the handlers, as a new event of its own
// (ID "<id>#files", deduplicated like any other). Whatever cannot be kept is
// answered in the chat naming the file (lostFile): too large (FILE_MAX_MB),
// a refused type, a link the platform no longer serves, a download that kept
// failing. admitFiles is the one place where size and type are checked,
// for fetched files and for files that came with their bytes (the
// simulator).

// DefaultFileMax is the largest file kept when Config.FileMaxBytes is 0.
const DefaultFileMax = 20 << 20

// fetchTimeout bounds one attachment's download.
const fetchTimeout = 45 * time.Second

// FileFetcher is an adapter whose inbound files arrive as references
// (File.Ref), downloaded after the callback is answered.
type FileFetcher interface {
	// FetchFile downloads f (named by f.Ref) and returns it with its
	// content, reading at most limit bytes (a longer file comes back
	// with limit bytes, for the bot to refuse). An error wrapping
	// ErrPermanent is one retrying cannot fix: the link expired, the
	// platform refuses the file.
	FetchFile(ctx context.Context, f File, limit int64) (*File, error)
}

// lostReason is why a file was not kept.
type lostReason int

const (
	lostTooLarge lostReason = iota + 1
	lostRefused
	lostExpired
	lostFailed
)

// lostFile is an attachment that was not kept, and why.
type lostFile struct {
	Name   string
	Reason lostReason
}

// notice is what the sender is told, in Chinese, naming the file and what
// to do.
func (l lostFile) notice(maxBytes int64) string {
	name := l.Name
	if name == "" {
		name = "附件"
	}
	switch l.Reason {
	case lostTooLarge:
		return fmt.Sprintf("文件“%s”超过 %d MB，未保存；请压缩后重发或分多次发送。", name, maxBytes>>20)
	case lostRefused:
		return fmt.Sprintf("文件“%s”是可执行程序或脚本，出于安全考虑未保存；请发送照片、PDF、Office 文档或压缩包。", name)
	case lostExpired:
		return fmt.Sprintf("文件“%s”已无法从平台下载（链接已失效），未能保存；请重新发送该文件。", name)
	}
	return fmt.Sprintf("文件“%s”多次下载失败，未能保存；请稍后重新发送该文件。", name)
}

// refusedExt are the name endings of programs and scripts, which are never
// kept as evidence.
var refusedExt = map[string]bool{
	".exe": true, ".com": true, ".bat": true, ".cmd": true, ".scr": true, ".msi": true, ".dll": true, ".pif": true,
	".vbs": true, ".vbe": true, ".js": true, ".jse": true, ".wsf": true, ".ps1": true, ".sh": true, ".jar": true,
	".apk": true, ".lnk": true, ".hta": true, ".cpl": true,
}

// refusedFile reports whether a file is a program or a script, by its name
// or its bytes (a Windows or ELF executable, whatever its name).
func refusedFile(name string, content []byte) bool {
	if refusedExt[strings.ToLower(path.Ext(name))] {
		return true
	}
	return bytes.HasPrefix(content, []byte("MZ")) || bytes.HasPrefix(content, []byte("\x7fELF"))
}

// FileMax returns the largest file the bot keeps, in bytes (FILE_MAX_MB).
func (b *Bot) FileMax() int64 { return b.fileMax }

// admitFiles keeps in ev.Files the files that may be stored and returns
// the others. Files not fetched yet (a Ref and no Content) are kept.
func (b *Bot) admitFiles(ev *Event) []lostFile {
	var lost []lostFile
	kept := ev.Files[:0:0]
	for _, f := range ev.Files {
		switch {
		case f.Ref != "" && f.Content == nil:
			kept = append(kept, f)
		case int64(len(f.Content)) > b.fileMax:
			lost = append(lost, lostFile{Name: f.Name, Reason: lostTooLarge})
		case refusedFile(f.Name, f.Content):
			lost = append(lost, lostFile{Name: f.Name, Reason: lostRefused})
		default:
			kept = append(kept, f)
		}
	}
	ev.Files = kept
	return lost
}

// needsFetch reports whether some file of ev is a reference still to
// download.
func needsFetch(ev *Event) bool {
	for _, f := range ev.Files {
		if f.Ref != "" && f.Content == nil {
			return true
		}
	}
	return false
}

// fetchSuffix marks the event dispatched once its files are downloaded.
const fetchSuffix = "#files"

// replyTarget is where a message event is answered: its chat, or the
// sender's 1:1 chat.
func replyTarget(ev *Event) Target {
	if ev.Chat.ID == "" {
		return Target{Platform: ev.Platform, UserID: ev.Sender.ID}
	}
	return Target{Platform: ev.Platform, ChatID: ev.Chat.ID}
}

// queueFetch queues the job of downloading ev's files, in the event's
// transaction. The job is a delivery to the chat the event came from, so
// that its outcome reaches that chat in order with what follows.
func (b *Bot) queueFetch(ctx context.Context, tx *store.Store, ev *Event) error {
	job := *ev
	job.Raw = nil
	to := replyTarget(ev)
	_, err := b.Enqueue(ctx, tx, []Outgoing{{To: to, Message: Message{Fetch: &job},
		Key: "fetch:" + string(ev.Platform) + ":" + ev.ID}})
	return err
}

// runFetch runs a fetch job: it downloads every file of the job's event,
// retries the job later while a download fails and attempts remain, then
// dispatches the event with what it got and tells the sender of the rest.
func (b *Bot) runFetch(ctx context.Context, d *store.Delivery, ev *Event) error {
	ff, ok := b.adapters[ev.Platform].(FileFetcher)
	if !ok {
		return b.store.FailDelivery(ctx, d.ID, "platform "+string(ev.Platform)+" cannot fetch files")
	}
	var (
		got   []File
		lost  []lostFile
		retry error
	)
	for _, f := range ev.Files {
		if f.Ref == "" || f.Content != nil {
			got = append(got, f)
			continue
		}
		fctx, cancel := context.WithTimeout(ctx, fetchTimeout)
		nf, err := ff.FetchFile(fctx, f, b.fileMax+1)
		cancel()
		switch {
		case err == nil:
			nf.Ref = ""
			got = append(got, *nf)
			b.metrics.FilesFetched.WithLabelValues(string(ev.Platform), "ok").Inc()
		case errors.Is(err, ErrPermanent):
			lost = append(lost, lostFile{Name: f.Name, Reason: lostExpired})
			b.metrics.FilesFetched.WithLabelValues(string(ev.Platform), "lost").Inc()
			b.log.WarnContext(ctx, "File not fetched: the platform will not serve it", slog.String("platform", string(ev.Platform)),
				slog.String("event_id", ev.ID), slog.String("file", f.Name), slog.Any("error", err))
		default:
			retry = err
			lost = append(lost, lostFile{Name: f.Name, Reason: lostFailed})
			b.metrics.FilesFetched.WithLabelValues(string(ev.Platform), "retry").Inc()
			b.log.WarnContext(ctx, "File not fetched yet", slog.String("platform", string(ev.Platform)),
				slog.String("event_id", ev.ID), slog.String("file", f.Name), slog.Int("attempt", d.Attempts), slog.Any("error", err))
		}
	}
	now := b.clock.Now()
	if retry != nil && d.Attempts < deliveryAttempts {
		return b.store.RetryDelivery(ctx, d.ID, retry.Error(), now.Add(fetchBackoff(d.Attempts)))
	}
	fetched := *ev
	fetched.ID += fetchSuffix
	fetched.Files = got
	if _, err := b.dispatch(ctx, &fetched, lost); err != nil {
		if d.Attempts >= deliveryAttempts {
			return b.store.FailDelivery(ctx, d.ID, err.Error())
		}
		return b.store.RetryDelivery(ctx, d.ID, err.Error(), now.Add(fetchBackoff(d.Attempts)))
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordPatience+10*time.Second)
	defer cancel()
	return b.recordSent(ctx, d.ID, "", now)
}

// fetchBackoff is the pause after a fetch job's attempt: 2 s, 4 s, 8 s, …
// (the outbox's).
func fetchBackoff(attempt int) time.Duration {
	return time.Duration(1<<min(attempt, 10)) * time.Second
}
