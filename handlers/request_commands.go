package handlers

import (
	"context"
	"errors"
	"strings"

	"zhenggai/bot"
	"zhenggai/store"
)

// contactInfo answers 联系人: the enterprise's contact leader with title and
// published phone.
func (h *handler) contactInfo(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if r.Contact == nil {
		return nil, bot.Refuse("“联系人”供企业联系人查询本企业的联系领导。")
	}
	ent, err := r.Store.EnterpriseByID(ctx, r.Contact.EnterpriseID)
	if err != nil {
		return nil, err
	}
	camp, err := r.Store.CampaignByID(ctx, ent.CampaignID)
	if err != nil {
		return nil, err
	}
	var leader, office *store.Person
	if ent.LeaderID != nil {
		if leader, err = r.Store.PersonByID(ctx, *ent.LeaderID); err != nil {
			return nil, err
		}
	}
	if id, err := officeHandler(ctx, r.Store, camp); err != nil {
		return nil, err
	} else if id != nil {
		if office, err = r.Store.PersonByID(ctx, *id); err != nil {
			return nil, err
		}
	}
	return bot.CardReply(contactInfoCard(ent, leader, office)), nil
}

// myRequests answers 我的诉求: the enterprise's requests not yet closed.
func (h *handler) myRequests(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if r.Contact == nil {
		return nil, bot.Refuse("“我的诉求”供企业联系人查看本企业未办结的诉求；联系领导请发送“诉求”。")
	}
	ent, err := r.Store.EnterpriseByID(ctx, r.Contact.EnterpriseID)
	if err != nil {
		return nil, err
	}
	camp, err := r.Store.CampaignByID(ctx, ent.CampaignID)
	if err != nil {
		return nil, err
	}
	qs, err := r.Store.RequestsOfEnterprise(ctx, ent.ID, true, requestListSize)
	if err != nil {
		return nil, err
	}
	return bot.CardReply(requestListCard("我的诉求", ent.Name, qs, camp.Location(), false)), nil
}

// leaderRequests answers 诉求 (the requests the asker may handle, oldest
// waiting first) and 诉求 <编号> (one request's card). Both are audited.
func (h *handler) leaderRequests(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := requireCampaign(r); err != nil {
		return nil, err
	}
	if r.Person == nil {
		return nil, bot.Refuse("“诉求”供联系领导和市局专项整治办公室使用；企业请发送“我的诉求”。")
	}
	if number := strings.TrimSpace(r.Args); number != "" {
		q, err := r.Store.EnterpriseRequestByNumber(ctx, r.Campaign.ID, number)
		if errors.Is(err, store.ErrNotFound) {
			return nil, bot.Refuse("没有编号为“%s”的诉求。", number)
		}
		if err != nil {
			return nil, err
		}
		if !canHandle(r, q) {
			return nil, bot.Refuse(msgNoRequestRight)
		}
		c, err := h.requestCard(ctx, r.Store, r.Campaign, q, "")
		if err != nil {
			return nil, err
		}
		if err := auditView(ctx, r, q, "command"); err != nil {
			return nil, err
		}
		return bot.CardReply(c), nil
	}
	qs, err := r.Store.RequestsVisibleTo(ctx, r.Campaign.ID, r.Person.ID, r.Roles.Office, requestListSize)
	if err != nil {
		return nil, err
	}
	numbers := make([]string, 0, len(qs))
	for _, q := range qs {
		numbers = append(numbers, q.Number)
	}
	if err := r.Store.AppendAudit(ctx, store.AuditParams{Actor: r.Actor(), Entity: "enterprise_request", EntityID: "*",
		Action: "list", New: map[string]any{"numbers": numbers}}); err != nil {
		return nil, err
	}
	sub := r.Person.Name
	if r.Roles.Office {
		sub = "全市（市局专项整治办公室）"
	}
	return bot.CardReply(requestListCard("企业诉求", sub, qs, r.Campaign.Location(), true)), nil
}
