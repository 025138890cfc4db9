package bot

import (
	"context"
	"slices"
	"testing"

	"zhenggai/cards"
)

// fanOutAdapter fans a group card out 1:1 to the mentioned, as WeCom app
// groups and DingTalk without templates do.
type fanOutAdapter struct{ p Platform }

func (f fanOutAdapter) Platform() Platform { return f.p }
func (f fanOutAdapter) Send(context.Context, Target, *Message) (MessageRef, error) {
	return MessageRef{}, nil
}
func (f fanOutAdapter) FanOut(to Target, m *Message) map[string]Target {
	out := map[string]Target{}
	for _, u := range m.Mentions {
		out[u] = Target{Platform: f.p, UserID: u}
	}
	return out
}

// plainAdapter keeps a group send in the group (Feishu: a real @-mention).
type plainAdapter struct{ p Platform }

func (a plainAdapter) Platform() Platform { return a.p }
func (a plainAdapter) Send(context.Context, Target, *Message) (MessageRef, error) {
	return MessageRef{}, nil
}

func TestOneCopyPerChat(t *testing.T) {
	b := &Bot{adapters: map[Platform]Adapter{DingTalk: fanOutAdapter{DingTalk}, WeCom: fanOutAdapter{WeCom}, Feishu: plainAdapter{Feishu}}}
	remind := &cards.Card{Title: "月报提醒 · 2026年11月", Blocks: []cards.Block{cards.ButtonsBlock(cards.Button{Text: "填报月报", Action: "report.form"})}}
	digest := &cards.Card{Title: "每日摘要", Blocks: []cards.Block{cards.MD("待审批 1 项")}}
	group := func(p Platform, mentions ...string) Outgoing {
		return Outgoing{To: Target{Platform: p, ChatID: "g1"}, Message: Message{Card: remind, Mentions: mentions}, Key: "r:c"}
	}
	person := func(p Platform, user string, c *cards.Card) Outgoing {
		return Outgoing{To: Target{Platform: p, UserID: user}, Message: Message{Card: c}, Key: "r:p:" + user}
	}
	outs := []Outgoing{
		group(DingTalk, "li", "liu"), person(DingTalk, "li", remind),
		// liu is another unit's leader: his 1:1 gets a different card,
		// so the group's copy still reaches him.
		person(DingTalk, "liu", digest),
		group(WeCom, "li"), person(WeCom, "li", remind),
		group(Feishu, "li"), person(Feishu, "li", remind),
	}
	got := b.OneCopyPerChat(outs)
	if len(got) != len(outs) {
		t.Fatalf("%d outgoing, want %d: none is dropped", len(got), len(outs))
	}
	for i, want := range [][]string{{"liu"}, nil, nil, nil, nil, {"li"}, nil} {
		if !slices.Equal(got[i].Message.Mentions, want) {
			t.Errorf("outgoing %d (%s %+v) mentions %v, want %v", i, got[i].To.Platform, got[i].To, got[i].Message.Mentions, want)
		}
	}
	if !slices.Equal(outs[0].Message.Mentions, []string{"li", "liu"}) {
		t.Error("the caller's outgoing messages were changed")
	}
}
