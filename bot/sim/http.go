package sim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// Mount serves the simulator under /sim/:
//
//	GET  /sim/                   the page
//	GET  /sim/static/{file}      its script and styles
//	GET  /sim/api/config         campaign, time zone, whether the clock panel works
//	GET  /sim/api/identities     whom the page can play, with their chats
//	GET  /sim/api/messages       ?as=ACCOUNT&chat=CHAT: a chat's last messages
//	GET  /sim/api/events         ?as=ACCOUNT[&after=SEQ]: server-sent events, one per new or changed message
//	POST /sim/api/send           {as, chat, text}
//	POST /sim/api/action         {as, chat, message, action, params, form}
//	POST /sim/api/tick           {at: "2026-11-20T09:00"} in the campaign's time zone
//	GET  /sim/api/files/{id}     ?as=ACCOUNT: a file the bot sent
func (a *Adapter) Mount(mux *http.ServeMux, d bot.Dispatcher) {
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded directory is part of the build
	}
	mux.HandleFunc("GET /sim", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/sim/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /sim/{$}", func(w http.ResponseWriter, r *http.Request) {
		secure(w)
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, static, "index.html")
	})
	files := http.StripPrefix("/sim/static/", http.FileServerFS(static))
	mux.HandleFunc("GET /sim/static/", func(w http.ResponseWriter, r *http.Request) {
		secure(w)
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /sim/api/config", a.config)
	mux.HandleFunc("GET /sim/api/identities", a.identities)
	mux.HandleFunc("GET /sim/api/messages", a.messages)
	mux.HandleFunc("GET /sim/api/events", a.events)
	mux.HandleFunc("GET /sim/api/files/{id}", a.file)
	mux.HandleFunc("POST /sim/api/send", func(w http.ResponseWriter, r *http.Request) { a.send(w, r, d) })
	mux.HandleFunc("POST /sim/api/action", func(w http.ResponseWriter, r *http.Request) { a.action(w, r, d) })
	mux.HandleFunc("POST /sim/api/tick", a.tick)
}

// secure sets the headers every simulator response carries: nothing but
// our own script runs, even if a card smuggled markup past the renderer.
func secure(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// apiError is an answer the page shows as an error toast.
type apiError struct {
	Error  string       `json:"error"`
	Fields []fieldError `json:"fields,omitempty"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	secure(w)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (a *Adapter) fail(w http.ResponseWriter, r *http.Request, status int, msg string, err error) {
	if err != nil && r.Context().Err() == nil {
		a.log.ErrorContext(r.Context(), "Simulator request failed", slog.String("platform", "sim"),
			slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	writeJSON(w, status, apiError{Error: msg})
}

// readJSON decodes a request body of at most 1 MiB into v.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return readJSONMax(w, r, v, 1<<20)
}

// readJSONMax decodes a request body of at most limit bytes into v.
func readJSONMax(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// whoami returns the directory and the identity named by account, or
// answers 403 and returns nil.
func (a *Adapter) whoami(w http.ResponseWriter, r *http.Request, account string) (*Directory, *Identity) {
	d, id, err := a.identity(r.Context(), account)
	if err != nil {
		a.playFailed(w, r, err)
		return nil, nil
	}
	return d, id
}

type configView struct {
	BotName     string `json:"bot_name"`
	Campaign    string `json:"campaign"`
	Timezone    string `json:"timezone"`
	Now         string `json:"now"` // "2006-01-02T15:04" in the campaign's zone
	TickEnabled bool   `json:"tick_enabled"`
}

func (a *Adapter) location(ctx context.Context) (*time.Location, string, string, error) {
	c, err := a.store.CurrentCampaign(ctx)
	if errors.Is(err, store.ErrNotFound) {
		loc := time.FixedZone("CST", 8*3600)
		return loc, "", "Asia/Shanghai", nil
	}
	if err != nil {
		return nil, "", "", err
	}
	return c.Location(), c.Name, c.Timezone, nil
}

func (a *Adapter) config(w http.ResponseWriter, r *http.Request) {
	loc, name, tz, err := a.location(r.Context())
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, "读取专项整治活动失败", err)
		return
	}
	writeJSON(w, http.StatusOK, configView{BotName: BotName, Campaign: name, Timezone: tz,
		Now: a.opts.Clock.Now().In(loc).Format(clockLayout), TickEnabled: a.opts.Tick != nil})
}

func (a *Adapter) identities(w http.ResponseWriter, r *http.Request) {
	d, err := a.directory(r.Context())
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, "读取人员名单失败", err)
		return
	}
	if d.Identities == nil {
		d.Identities = []*Identity{}
	}
	writeJSON(w, http.StatusOK, d)
}

// messageView is a message as the page shows it; text and card are HTML
// rendered here.
type messageView struct {
	ID         int64     `json:"id"`
	Seq        int64     `json:"seq"`
	Chat       string    `json:"chat"`
	Sender     string    `json:"sender"`
	SenderName string    `json:"sender_name"`
	FromBot    bool      `json:"from_bot"`
	TextHTML   string    `json:"text_html,omitempty"`
	CardHTML   string    `json:"card_html,omitempty"`
	CardTitle  string    `json:"card_title,omitempty"`
	File       *fileView `json:"file,omitempty"`
	At         time.Time `json:"at"`
	Submitted  bool      `json:"submitted,omitempty"`
}

type fileView struct {
	Name string `json:"name"`
	Size int    `json:"size"`
	URL  string `json:"url"`
}

func (a *Adapter) view(d *Directory, m *store.SimMessage) messageView {
	v := messageView{ID: m.ID, Seq: m.Seq, Chat: m.ChatID, Sender: m.Sender, SenderName: d.Name(m.Sender),
		FromBot: m.Sender == "", At: m.CreatedAt, Submitted: m.Submitted}
	if m.Text != "" {
		var b strings.Builder
		for _, acc := range m.Mentions {
			b.WriteString(`<span class="mention">@` + html.EscapeString(d.Name(acc)) + `</span> `)
		}
		b.WriteString(strings.ReplaceAll(html.EscapeString(m.Text), "\n", "<br>"))
		v.TextHTML = b.String()
	}
	if len(m.Card) > 0 {
		var c cards.Card
		if err := json.Unmarshal(m.Card, &c); err != nil {
			v.TextHTML = "（无法显示的卡片）"
		} else {
			v.CardTitle = c.Title
			v.CardHTML = cards.HTML(&c, cards.HTMLOptions{ID: "m" + strconv.FormatInt(m.ID, 10), Disabled: m.Submitted})
		}
	}
	if m.FileName != "" {
		v.File = &fileView{Name: m.FileName, Size: m.FileSize, URL: "/sim/api/files/" + strconv.FormatInt(m.ID, 10)}
	}
	return v
}

// historyLimit is how many messages of a chat the page loads.
const historyLimit = 200

func (a *Adapter) messages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d, id := a.whoami(w, r, q.Get("as"))
	if id == nil {
		return
	}
	chat := q.Get("chat")
	if !id.CanSee(chat) {
		a.fail(w, r, http.StatusForbidden, "您不在这个会话中", nil)
		return
	}
	// The seq is read first: a page that streams changes after it misses
	// nothing that the history below lacks.
	seq, err := a.store.SimLastSeq(r.Context())
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, "读取消息失败", err)
		return
	}
	ms, err := a.store.SimMessages(r.Context(), chat, historyLimit)
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, "读取消息失败", err)
		return
	}
	out := make([]messageView, 0, len(ms))
	for _, m := range ms {
		out = append(out, a.view(d, m))
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out, "seq": seq})
}

// events streams, as server-sent events, every message of the identity's
// chats created or changed after the given seq (Last-Event-ID or ?after=;
// by default from now on). It first sends a "ready" event with the current
// seq, then one "message" event per change, and ends after StreamTimeout;
// the page's EventSource reconnects with the last id it saw.
func (a *Adapter) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d, id := a.whoami(w, r, q.Get("as"))
	if id == nil {
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		a.fail(w, r, http.StatusInternalServerError, "不支持事件流", nil)
		return
	}
	ctx := r.Context()
	var after int64
	var err error
	if s := cmpOr(r.Header.Get("Last-Event-ID"), q.Get("after")); s != "" {
		after, err = strconv.ParseInt(s, 10, 64)
		if err != nil || after < 0 {
			a.fail(w, r, http.StatusBadRequest, "after 参数无效", nil)
			return
		}
	} else if after, err = a.store.SimLastSeq(ctx); err != nil {
		a.fail(w, r, http.StatusInternalServerError, "读取消息失败", err)
		return
	}
	chats := make([]string, 0, len(id.Chats))
	for _, c := range id.Chats {
		chats = append(chats, c.ID)
	}
	secure(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 1000\nid: %d\nevent: ready\ndata: {\"seq\":%d}\n\n", after, after)
	flusher.Flush()

	end := time.NewTimer(a.opts.StreamTimeout)
	defer end.Stop()
	// A change made by another replica wakes no hub here: look anyway now
	// and then.
	poll := time.NewTicker(3 * time.Second)
	defer poll.Stop()
	for {
		wake := a.hub.wait()
		ms, err := a.store.SimChanges(ctx, chats, after, 100)
		if err != nil {
			if ctx.Err() == nil {
				a.log.ErrorContext(ctx, "Simulator event stream failed", slog.String("platform", "sim"), slog.Any("error", err))
			}
			return
		}
		for _, m := range ms {
			body, _ := json.Marshal(a.view(d, m))
			fmt.Fprintf(w, "id: %d\nevent: message\ndata: %s\n\n", m.Seq, body)
			after = m.Seq
		}
		if len(ms) > 0 {
			flusher.Flush()
		}
		if len(ms) == 100 {
			continue
		}
		select {
		case <-wake:
		case <-poll.C:
		case <-end.C:
			return
		case <-ctx.Done():
			return
		case <-a.hub.done:
			return
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (a *Adapter) file(w http.ResponseWriter, r *http.Request) {
	_, id := a.whoami(w, r, r.URL.Query().Get("as"))
	if id == nil {
		return
	}
	mid, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		a.fail(w, r, http.StatusNotFound, "没有这个文件", nil)
		return
	}
	m, err := a.store.SimMessageByID(r.Context(), mid)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !id.CanSee(m.ChatID)) {
		a.fail(w, r, http.StatusNotFound, "没有这个文件", nil)
		return
	}
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, "读取文件失败", err)
		return
	}
	name, typ, content, err := a.store.SimFile(r.Context(), mid)
	if errors.Is(err, store.ErrNotFound) {
		a.fail(w, r, http.StatusNotFound, "没有这个文件", nil)
		return
	}
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, "读取文件失败", err)
		return
	}
	secure(w)
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	_, _ = w.Write(content)
}

// sendRequest is "user As sends Text in chat Chat", with an optional file
// (佐证, a document).
type sendRequest struct {
	As   string  `json:"as"`
	Chat string  `json:"chat"`
	Text string  `json:"text"`
	File *Upload `json:"file,omitempty"`
}

// playFailed answers err, a PlayError or not, as the page expects.
func (a *Adapter) playFailed(w http.ResponseWriter, r *http.Request, err error) {
	var pe *PlayError
	if !errors.As(err, &pe) {
		a.fail(w, r, http.StatusInternalServerError, "处理失败", err)
		return
	}
	if len(pe.Fields) > 0 {
		writeJSON(w, pe.Status, apiError{Error: pe.Message, Fields: pe.Fields})
		return
	}
	a.fail(w, r, pe.Status, pe.Message, pe.Err)
}

func (a *Adapter) send(w http.ResponseWriter, r *http.Request, d bot.Dispatcher) {
	var req sendRequest
	if err := readJSONMax(w, r, &req, maxFile*4/3+(1<<20)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			a.fail(w, r, http.StatusRequestEntityTooLarge, "附件不能超过 10 MB", nil)
			return
		}
		a.fail(w, r, http.StatusBadRequest, "请求格式错误", nil)
		return
	}
	dir, m, dispatched, err := a.post(r.Context(), d, req.As, req.Chat, req.Text, req.File)
	if err != nil {
		a.playFailed(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": a.view(dir, m), "dispatched": dispatched})
}

func eventChat(c Chat) bot.Chat {
	if c.Kind == "group" {
		return bot.Chat{ID: c.ID, Kind: bot.Group, Title: c.Title}
	}
	return bot.Chat{ID: c.ID, Kind: bot.Direct, Title: c.Title}
}

// actionRequest is "user As clicks Action with Params (and Form values) on
// card message Message in chat Chat". Form is nil for a plain button.
type actionRequest struct {
	As      string            `json:"as"`
	Chat    string            `json:"chat"`
	Message int64             `json:"message"`
	Action  string            `json:"action"`
	Params  map[string]string `json:"params"`
	Form    cards.Values      `json:"form"`
}

func (a *Adapter) action(w http.ResponseWriter, r *http.Request, d bot.Dispatcher) {
	var req actionRequest
	if err := readJSON(w, r, &req); err != nil {
		a.fail(w, r, http.StatusBadRequest, "请求格式错误", nil)
		return
	}
	dir, m, reply, err := a.click(r.Context(), d, req.As, req.Chat, req.Message, req.Action, req.Params, req.Form)
	if err != nil {
		a.playFailed(w, r, err)
		return
	}
	out := map[string]any{}
	if reply != nil {
		out["toast"], out["toast_kind"] = reply.Toast, cmpOr(reply.ToastKind, "info")
	}
	out["message"] = a.view(dir, m)
	writeJSON(w, http.StatusOK, out)
}

func hasButton(c *cards.Card, action string, params map[string]string) bool {
	for _, b := range c.Buttons() {
		if b.URL == "" && b.Action == action && sameParams(b.Params, params) {
			return true
		}
	}
	return false
}

func sameParams(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// clockLayout is how the clock panel writes an instant.
const clockLayout = "2006-01-02T15:04"

type tickRequest struct {
	At string `json:"at"`
}

func (a *Adapter) tick(w http.ResponseWriter, r *http.Request) {
	if a.opts.Tick == nil {
		a.fail(w, r, http.StatusNotImplemented, "定时任务尚未接入", nil)
		return
	}
	var req tickRequest
	if err := readJSON(w, r, &req); err != nil {
		a.fail(w, r, http.StatusBadRequest, "请求格式错误", nil)
		return
	}
	loc, _, _, err := a.location(r.Context())
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, "读取专项整治活动失败", err)
		return
	}
	at, err := time.ParseInLocation(clockLayout, req.At, loc)
	if err != nil {
		if at, err = time.Parse(time.RFC3339, req.At); err != nil {
			a.fail(w, r, http.StatusBadRequest, "时间格式应为 2026-11-20T09:00", nil)
			return
		}
	}
	summary, err := a.opts.Tick(r.Context(), at)
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, "运行定时任务失败："+err.Error(), err)
		return
	}
	a.hub.notify()
	writeJSON(w, http.StatusOK, map[string]string{"summary": summary, "at": at.In(loc).Format(clockLayout)})
}
