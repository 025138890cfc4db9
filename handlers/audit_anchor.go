package handlers

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/store"
)

// scheduleAuditAnchor posts the audit chain's head once a day (at digest.at)
// to the office's group chats (or, without one, its liaison) and the log: copies of the chain's state kept
// outside the database, which `zhenggai audit verify --anchor` checks the
// chain against. An insider who rewrites the audit log as the database's
// owner can recompute every hash, but not the anchors already posted.
const scheduleAuditAnchor = "audit-anchor"

// planAuditAnchor verifies the chain and posts its head as the line
// "audit-anchor <id> <hex>" under a key of the day, so the day's anchor goes
// out once. A chain that does not verify is not anchored: the office is told
// where it breaks instead.
func (h *handler) planAuditAnchor(ctx context.Context, run *bot.PlanRun) ([]bot.Outgoing, error) {
	e, err := newPlanEnv(ctx, run)
	if err != nil {
		return nil, err
	}
	log := cmp.Or(h.deps.Logger, slog.Default())
	key := scheduleAuditAnchor + ":" + e.c.Key + ":" + e.day.Format(time.DateOnly)
	var text string
	n, head, err := run.Store.VerifiedHead(ctx)
	var br *store.AuditBreak
	switch {
	case errors.As(err, &br):
		log.ErrorContext(ctx, "Audit chain does not verify; no anchor posted", slog.Int64("row", br.ID), slog.String("reason", br.Reason))
		text = "【审计日志校验未通过】第 " + strconv.FormatInt(br.ID, 10) + " 条记录：" + auditBreakText(br) +
			"。今日不发布审计锚点，请立即核查数据库（zhenggai audit verify）。"
		key += ":broken"
	case err != nil:
		return nil, err
	default:
		log.InfoContext(ctx, "Audit anchor", slog.String("anchor", head.String()), slog.Int64("rows", n),
			slog.String("campaign", e.c.Key))
		text = "【审计锚点】" + e.day.Format("2006年1月2日") + "审计日志共 " + strconv.FormatInt(n, 10) + " 条记录，校验通过。" +
			"本消息是审计日志在系统之外的留存凭证，请勿撤回或删除；系统管理员可用 zhenggai audit verify --anchor 核对日志未被改写：\n" + head.String()
	}
	if e.office == nil {
		return nil, nil
	}
	for _, ch := range e.chats[e.office.ID] {
		p := bot.Platform(ch.Platform)
		if e.run.Bot.Adapter(p) == nil {
			continue
		}
		e.out = append(e.out, bot.Outgoing{To: bot.Target{Platform: p, ChatID: ch.ExternalID},
			Message: bot.Message{Text: text}, Key: key + ":c:" + ch.Platform + ":" + ch.ExternalID})
	}
	if len(e.out) == 0 && e.office.LiaisonID != nil {
		// No office group on an enabled platform: its liaison keeps it.
		if err := e.loadPeople(ctx, nil); err != nil {
			return nil, err
		}
		id := *e.office.LiaisonID
		if p := e.people[id]; p != nil {
			if to, ok := e.run.Bot.TargetOf(e.accs[id]); ok {
				e.out = append(e.out, bot.Outgoing{To: to, Message: bot.Message{Text: text}, Key: key + ":p:" + p.Key})
			}
		}
	}
	return e.out, nil
}

// auditBreakText says in Chinese what kind of break the chain has.
func auditBreakText(br *store.AuditBreak) string {
	switch {
	case strings.Contains(br.Reason, "altered"):
		return "内容与其哈希不符（记录被修改）"
	case strings.Contains(br.Reason, "anchor"):
		return "与此前发布的审计锚点不符（记录被改写）"
	case strings.Contains(br.Reason, "deleted") || strings.Contains(br.Reason, "inserted"):
		return "链接断开（有记录被删除或插入）"
	}
	return "校验失败"
}
