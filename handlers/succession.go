package handlers

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/store"
)

// Succession: when a campaign file pairs an enterprise with a new contact
// leader, ApplyCampaign calls onLeaderChanged in its transaction. The
// enterprise's requests that are not closed and that the old leader owned
// move to the new one, each with a note in its thread and an audit row (a
// request the old leader had handed to someone else stays there). Every
// contact of the enterprise is told who its new contact leader is, and the
// new leader gets the list of what he took over.
//
// ApplyCampaign runs from the CLI, where no bot and no adapters exist, so
// the notices are written straight to the outbox (store.EnqueueDelivery, a
// JSON bot.Message payload, keys naming the pairing) and the serving
// process sends them. Without adapters to ask, the platform is chosen from
// the accounts: the one the contact last wrote from, else the first of
// feishu, dingtalk, wecom, wecom_kf, sim that it has. A 微信客服 contact
// whose window is closed gets the notice when it next writes only through
// 联系人; the platform refuses unprompted messages.

// successionPlatforms is the order in which accounts are tried when no bot
// says which platforms are enabled.
var successionPlatforms = []string{"feishu", "dingtalk", "wecom", "wecom_kf", "sim"}

// onLeaderChanged moves ent's open requests from its previous leader to its
// new one and queues the notices; changed is UpsertEnterprise's answer.
func (a *applier) onLeaderChanged(prev, ent *store.Enterprise, changed bool) error {
	if !changed || prev == nil || ent.LeaderID == nil {
		return nil
	}
	ctx, tx := a.ctx, a.tx
	newLeader, err := tx.PersonByID(ctx, *ent.LeaderID)
	if err != nil {
		return err
	}
	pairing, err := tx.CurrentPairing(ctx, ent.ID)
	if err != nil {
		return err
	}
	var moved []*store.EnterpriseRequest
	oldName := ""
	if prev.LeaderID != nil {
		old, err := tx.PersonByID(ctx, *prev.LeaderID)
		if err != nil {
			return err
		}
		oldName = old.Name
		if moved, err = tx.OpenRequestsOwnedBy(ctx, ent.ID, old.ID); err != nil {
			return err
		}
		for _, q := range moved {
			if err := tx.SetRequestOwner(ctx, q.ID, newLeader.ID); err != nil {
				return err
			}
			if err := tx.AddRequestMessage(ctx, &store.RequestMessage{RequestID: q.ID, Direction: store.MessageNote, CreatedAt: time.Now(),
				Text: fmt.Sprintf("联系领导调整：由%s改为%s，诉求随之移交", old.Name, newLeader.Name)}); err != nil {
				return err
			}
		}
	}
	cts, err := tx.Contacts(ctx, ent.ID)
	if err != nil {
		return err
	}
	byContact := map[int64][]string{}
	var numbers []string
	for _, q := range moved {
		byContact[q.ContactID] = append(byContact[q.ContactID], q.Number)
		numbers = append(numbers, q.Number)
	}
	for _, ct := range cts {
		text := fmt.Sprintf("%s：贵企业的联系领导已调整为%s（%s", ent.Name, newLeader.Name, newLeader.Title)
		if newLeader.Phone != "" {
			text += "，电话 " + newLeader.Phone
		}
		text += "）。今后直接在此发送消息即可联系。"
		if ns := byContact[ct.ID]; len(ns) > 0 {
			text += "您未办结的诉求 " + strings.Join(ns, "、") + " 已移交新联系领导继续办理。"
		}
		accs, err := tx.AccountsOfContact(ctx, ct.ID)
		if err != nil {
			return err
		}
		last, err := tx.LastInboundPlatform(ctx, ct.ID)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("succession:%s:%d:c:%d", ent.Key, pairing.ID, ct.ID)
		if err := a.enqueueNotice(offlineAccount(accs, last), key, bot.Message{Text: text}); err != nil {
			return err
		}
	}
	if len(moved) > 0 {
		accs, err := tx.AccountsOfPeople(ctx, []int64{newLeader.ID})
		if err != nil {
			return err
		}
		text := fmt.Sprintf("您已接任 %s 的联系领导（联百企驻百站），原联系领导%s未办结的诉求 %s 已移交给您，发送“诉求”查看。",
			ent.Name, oldName, strings.Join(numbers, "、"))
		key := fmt.Sprintf("succession:%s:%d:p:%s", ent.Key, pairing.ID, newLeader.Key)
		if err := a.enqueueNotice(offlineAccount(accs[newLeader.ID], ""), key, bot.Message{Text: text}); err != nil {
			return err
		}
	}
	for _, q := range moved {
		if err := tx.AppendAudit(ctx, store.AuditParams{Actor: a.actor, Entity: "enterprise_request", EntityID: q.Number, Action: "transfer",
			Old: map[string]any{"owner": q.OwnerKey}, New: map[string]any{"owner": newLeader.Key, "reason": "succession"}}); err != nil {
			return err
		}
	}
	return nil
}

// offlineAccount picks where to reach someone without a bot: the platform
// last used, else the first of successionPlatforms.
func offlineAccount(accs []store.Account, prefer string) *store.Account {
	for _, p := range append([]string{prefer}, successionPlatforms...) {
		for i := range accs {
			if p != "" && accs[i].Platform == p {
				return &accs[i]
			}
		}
	}
	return nil
}

// enqueueNotice writes a text message to acc's 1:1 chat into the outbox.
func (a *applier) enqueueNotice(acc *store.Account, key string, m bot.Message) error {
	if acc == nil {
		return nil
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("handlers: encode notice: %w", err)
	}
	d := &store.Delivery{Key: &key, Platform: acc.Platform, UserID: acc.ExternalID, Payload: payload}
	if acc.Platform == string(bot.Sim) {
		// The simulator's 1:1 chats are "d:<account>" (bot/sim).
		d.UserID, d.ChatID = "", "d:"+acc.ExternalID
	}
	_, err = a.tx.EnqueueDelivery(a.ctx, d)
	return err
}
