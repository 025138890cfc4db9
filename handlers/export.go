package handlers

import (
	"context"
	"fmt"
	"strings"

	"zhenggai/bot"
)

// 导出台账 and 导出月报 in chat: the spreadsheet goes to the asker's 1:1
// chat as a file (through the adapter's FileSender). The office gets every
// unit; leaders and liaisons get their own units.

// askerUnitIDs are the units whose files the asker may export: nil (all)
// for the office, none for a person of no unit (access.go).
func askerUnitIDs(r *bot.Request) []int64 { return ViewerUnitIDs(viewerOf(r)) }

// sendFile queues a file to the asker's 1:1 chat.
func sendFile(ctx context.Context, r *bot.Request, name string, data []byte, subject string) error {
	ok, err := r.SendToPerson(ctx, r.Person.ID, bot.Message{File: &bot.File{Name: name, MIME: XLSXMIME, Content: data}}, "", subject)
	if err != nil {
		return err
	}
	if !ok {
		return bot.Refuse("无法向您发送文件：未找到您可用的账号。")
	}
	return nil
}

// exportLedgerCommand answers 导出台账 [单位].
func (h *handler) exportLedgerCommand(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needPerson(r); err != nil {
		return nil, err
	}
	ids := askerUnitIDs(r)
	scope := "全部单位"
	if strings.TrimSpace(r.Args) != "" {
		u, _, err := askerUnit(ctx, r, r.Args)
		if err != nil {
			return nil, err
		}
		ids, scope = []int64{u.ID}, u.Name
	} else if ids != nil {
		if len(ids) == 0 {
			return nil, bot.Refuse(msgNotPerson)
		}
		scope = "本单位"
	}
	f, n, err := ledgerWorkbook(ctx, r.Store, r.Campaign, ids, r.Now)
	if err != nil {
		return nil, err
	}
	data, err := workbookBytes(f)
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("专项整治工作台账-%s.xlsx", r.Now.In(r.Campaign.Location()).Format("20060102"))
	if err := sendFile(ctx, r, name, data, "export:ledger"); err != nil {
		return nil, err
	}
	return bot.TextReply("已导出%s台账（%d 项），文件已发送到您与整改助手的单聊。", scope, n), nil
}

// exportMonthlyCommand answers 导出月报 [YYYY-MM].
func (h *handler) exportMonthlyCommand(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needPerson(r); err != nil {
		return nil, err
	}
	period, err := periodArg(r, r.Args)
	if err != nil {
		return nil, err
	}
	ids := askerUnitIDs(r)
	if ids != nil && len(ids) == 0 {
		return nil, bot.Refuse(msgNotPerson)
	}
	f, err := monthlyWorkbook(ctx, r.Store, r.Campaign, period, ids, r.Now)
	if err != nil {
		return nil, err
	}
	data, err := workbookBytes(f)
	if err != nil {
		return nil, err
	}
	if err := sendFile(ctx, r, "月报汇总-"+period+".xlsx", data, "export:monthly:"+period); err != nil {
		return nil, err
	}
	return bot.TextReply("已导出 %s 月报汇总，文件已发送到您与整改助手的单聊。", periodLabel(period)), nil
}
