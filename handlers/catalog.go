package handlers

import (
	"zhenggai/cards"
	"zhenggai/store"
)

// NamedCard is one card the product sends, built from fixed sample data.
type NamedCard struct {
	Name string
	Card *cards.Card
}

// CardCatalog returns a sample of every card the handlers build, so that
// each platform's renderer can be checked (golden files, limits) against all
// of them without a database.
func CardCatalog() []NamedCard {
	var out []NamedCard
	out = append(out, helpSampleCards()...)
	out = append(out, ledgerSampleCards()...)
	out = append(out, reminderSampleCards()...)
	out = append(out, enterpriseSampleCards()...)
	out = append(out, supervisionSampleCards()...)
	out = append(out, scoreSampleCards()...)
	return out
}

func helpSampleCards() []NamedCard {
	c := &cards.Card{Title: "整改助手 · 使用帮助", Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.MD("以下命令直接输入文字发送即可（群聊中请先 @整改助手）；卡片上按钮的文字也可以直接输入。\n**台账**：查看本单位专项整治工作台账\n" + reportHelpLine(&store.Campaign{Settings: store.CampaignSettings{MonthlyReport: store.MonthlyReportSettings{DueDay: 23}}})),
	}}
	return []NamedCard{{Name: "help", Card: c}}
}
