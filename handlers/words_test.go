package handlers

import (
	"slices"
	"strings"
	"testing"

	"zhenggai/bot"
	"zhenggai/store"
)

// wordsRouter is the router with every command, as the bot has it.
func wordsRouter(t *testing.T) *bot.Router {
	t.Helper()
	rt := bot.NewRouter()
	Register(rt, Deps{})
	if err := rt.Err(); err != nil {
		t.Fatal(err)
	}
	return rt
}

// TestTypedLabelsOfEveryCard walks the catalogue of cards: every button's
// text, typed, is a command that does the button's action (an enterprise
// contact's rating buttons are read as acknowledgements), and so is its
// label alone unless the label is only the command's argument (a unit's
// name on a unit picker).
func TestTypedLabelsOfEveryCard(t *testing.T) {
	rt := wordsRouter(t)
	does := func(text, action string) bool {
		name, _, ok := rt.Resolve(text)
		return ok && slices.Contains(commandActions[name], action)
	}
	n := 0
	for _, nc := range CardCatalog() {
		for _, b := range nc.Card.Buttons() {
			if b.Action == "" {
				continue // a link
			}
			n++
			if b.Action == "ereq.rate" {
				if got := ackOf(b.Typed()); string(got) != b.Params["rating"] {
					t.Errorf("%s: the rating button %q typed reads as %q, want %q", nc.Name, b.Typed(), got, b.Params["rating"])
				}
				continue
			}
			if !does(b.Typed(), b.Action) {
				name, _, _ := rt.Resolve(b.Typed())
				t.Errorf("%s: button %q (%s) typed as %q is command %q, which does %v", nc.Name, b.Text, b.Action, b.Typed(), name, commandActions[name])
			}
			if b.Command != "" && !strings.HasSuffix(b.Command, " "+b.Text) && !does(b.Text, b.Action) {
				t.Errorf("%s: the label %q alone is not understood as %s", nc.Name, b.Text, b.Action)
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d buttons in the catalogue", n)
	}
	// The table names only registered commands.
	commands, _ := rt.Names()
	for name := range commandActions {
		if !slices.Contains(commands, name) {
			t.Errorf("commandActions names %q, which is not a command", name)
		}
	}
	for word, name := range synonyms {
		if got, _, ok := rt.Resolve(word); !ok || got != name {
			t.Errorf("synonym %q resolves to %q, want %q", word, got, name)
		}
	}
}

// TestWordsTable: what people type for the main commands.
func TestWordsTable(t *testing.T) {
	rt := wordsRouter(t)
	for _, c := range []struct{ text, name, args string }{
		{"台帐", "台账", ""},
		{"台账。", "台账", ""},
		{"台帐 灵宝", "台账", "灵宝"},
		{"查看台账", "台账", ""},
		{"月度报告", "月报", ""},
		{"报送月报 2026-11", "月报", "2026-11"},
		{"填报月报", "月报", ""},
		{"每日摘要", "摘要", ""},
		{"今日摘要！", "今日摘要", ""},
		{"帮助", "帮助", ""},
		{"HELP", "help", ""},
		{"？", "?", ""},
		{"办理 LB-2026-001", "办理", "LB-2026-001"},
		{"办理\u3000ＬＢ－２０２６－００１", "办理", "ＬＢ－２０２６－００１"},
		{"回复：已安排专人联系", "回复", "已安排专人联系"},
		{"申请销号 LB-2026-001", "申请销号", "LB-2026-001"},
		{"同意。", "同意", ""},
	} {
		name, args, ok := rt.Resolve(c.text)
		if !ok || name != c.name || args != c.args {
			t.Errorf("%q: %q %q %v, want %q %q", c.text, name, args, ok, c.name, c.args)
		}
	}
	if number, rest := leadingNumber("ｌｂ－２０２６－００１ 已整改"); number != "LB-2026-001" || rest != "已整改" {
		t.Errorf("leadingNumber: %q %q", number, rest)
	}
	if page, rest := splitPage("灵宝市交通运输局 第2页"); page != 2 || rest != "灵宝市交通运输局" {
		t.Errorf("splitPage: %d %q", page, rest)
	}
}

// TestAckOf: what an enterprise contact's short reply means.
func TestAckOf(t *testing.T) {
	for _, c := range []struct {
		text string
		want ack
	}{
		{"谢谢", ackThanks}, {"谢谢！", ackThanks}, {"好的，谢谢领导！", ackThanks}, {"收到", ackThanks},
		{"👍", ackThanks}, {"🙏🙏", ackThanks}, {"ＯＫ", ackThanks}, {"好", ackThanks},
		{"满意", ackSatisfied}, {"满意。谢谢", ackSatisfied}, {"已解决（满意）", ackSatisfied}, {"已解决！👍", ackSatisfied},
		{"非常满意，辛苦了", ackSatisfied}, {"好评", ackSatisfied},
		{"基本满意", ackBasically}, {"还行", ackBasically}, {"还可以", ackBasically},
		{"仍未解决", ackUnresolved}, {"不满意", ackUnresolved}, {"还没解决。", ackUnresolved}, {"不行", ackUnresolved},
		{"", ackNone}, {"   ", ackNone},
		{"谢谢，另外我们的货车年审还有问题", ackNone},
		{"车辆年审什么时候可以办理？", ackNone},
		{"满意度调查在哪里填", ackNone},
		{"好的我明天带材料过去可以吗", ackNone},
	} {
		if got := ackOf(c.text); got != c.want {
			t.Errorf("ackOf(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	// Every rating is a choice of the answer's buttons.
	for _, r := range []string{store.RatingSatisfied, store.RatingBasically, store.RatingUnsatisfied} {
		if len(ackWords[ack(r)]) == 0 {
			t.Errorf("no words for rating %s", r)
		}
	}
}
