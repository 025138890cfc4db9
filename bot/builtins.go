package bot

import (
	"context"
	"errors"
	"fmt"

	"zhenggai/store"
)

// registerBuiltins adds the commands every deployment has: 绑定.
func registerBuiltins(rt *Router) {
	if _, ok := rt.commands["绑定"]; !ok {
		rt.PublicCommand(bindCommand, "绑定")
	}
}

// strangerReply is what an unknown account gets: how to bind, and nothing
// forwarded.
func strangerReply(ev *Event) *Reply {
	msg := "您好，我是整改助手。您的账号尚未登记，暂时无法使用。\n请向市局专项整治办公室索取绑定码，然后发送“绑定 绑定码”（例如：绑定 ABCD2345）。"
	if ev.Kind == KindCardAction {
		return &Reply{Toast: "您的账号尚未登记，请先发送“绑定 绑定码”。", ToastKind: "warning"}
	}
	if len(ev.Files) > 0 {
		msg = "您好，我是整改助手。您的账号尚未登记，发送的附件未保存。\n请向市局专项整治办公室索取绑定码，发送“绑定 绑定码”（例如：绑定 ABCD2345）后再发送附件。"
	}
	return &Reply{Text: msg}
}

// bindCommand binds the sender's account with a single-use code.
func bindCommand(ctx context.Context, r *Request) (*Reply, error) {
	code := r.Args
	if code == "" {
		return nil, Refuse("请在“绑定”后面加上绑定码，例如：绑定 ABCD2345")
	}
	c, acc, err := r.Store.UseBindCode(ctx, code, string(r.Event.Platform), r.Event.Sender.ID, r.Now)
	switch {
	case errors.Is(err, store.ErrCodeUnknown):
		return nil, Refuse("绑定码“%s”不存在，请核对后重试。", code)
	case errors.Is(err, store.ErrCodeUsed):
		return nil, Refuse("绑定码“%s”已被使用过。每个绑定码只能使用一次，请向专项整治办公室重新索取。", code)
	case errors.Is(err, store.ErrCodeExpired):
		return nil, Refuse("绑定码“%s”已过期，请向专项整治办公室重新索取。", code)
	case err != nil:
		return nil, err
	}
	name := ""
	entity, id := "person", int64(0)
	if c.PersonID != nil {
		p, err := r.Store.PersonByID(ctx, *c.PersonID)
		if err != nil {
			return nil, err
		}
		name, id = p.Name, p.ID
	} else {
		ct, err := r.Store.ContactByID(ctx, *c.ContactID)
		if err != nil {
			return nil, err
		}
		e, err := r.Store.EnterpriseByID(ctx, ct.EnterpriseID)
		if err != nil {
			return nil, err
		}
		name, entity, id = e.Name+" "+ct.Name, "contact", ct.ID
	}
	actor := r.Actor()
	if c.PersonID != nil {
		actor.PersonID = *c.PersonID
	}
	if err := r.Store.AppendAudit(ctx, store.AuditParams{Actor: actor, Entity: entity, EntityID: fmt.Sprint(id),
		Action: "bind_account", New: map[string]any{"platform": acc.Platform, "account": acc.ExternalID, "code": c.Code}}); err != nil {
		return nil, err
	}
	return TextReply("绑定成功：%s。发送“帮助”查看可用功能。", name), nil
}
