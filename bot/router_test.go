package bot

import (
	"context"
	"testing"
)

func TestSplitCommand(t *testing.T) {
	cases := []struct{ in, cmd, rest string }{
		{"台账", "台账", ""},
		{"  进展：已约谈相关人员 ", "进展", "已约谈相关人员"},
		{"进展: done", "进展", "done"},
		{"绑定 ABCD2345", "绑定", "ABCD2345"},
		{"月报\n本月完成", "月报", "本月完成"},
	}
	for _, c := range cases {
		cmd, rest := SplitCommand(c.in)
		if cmd != c.cmd || rest != c.rest {
			t.Errorf("%q: got (%q, %q)", c.in, cmd, rest)
		}
	}
}

// TestRouteForContacts: in a direct chat an enterprise contact's command
// words other than its own commands and the public ones are text for the
// fallback (a message to its leader), never a command it would be refused.
func TestRouteForContacts(t *testing.T) {
	var got string
	h := func(name string) Handler {
		return func(context.Context, *Request) (*Reply, error) { got = name; return nil, nil }
	}
	rt := NewRouter()
	rt.Command(h("progress"), "进展")
	rt.PublicCommand(h("help"), "帮助")
	rt.ContactCommand(h("mine"), "我的诉求")
	rt.Fallback(h("fallback"))
	for _, c := range []struct {
		text    string
		kind    ChatKind
		contact bool
		want    string
		args    string
	}{
		{"进展：货车已整改", Direct, false, "progress", "货车已整改"},
		{"进展：货车已整改", Direct, true, "fallback", "进展：货车已整改"},
		{"进展：货车已整改", Group, true, "progress", "货车已整改"},
		{"帮助", Direct, true, "help", ""},
		{"我的诉求", Direct, true, "mine", ""},
		{"您好", Direct, true, "fallback", "您好"},
	} {
		got = ""
		handler, args, _ := rt.route(&Event{Kind: KindMessage, Text: c.text, Chat: Chat{Kind: c.kind}}, c.contact)
		if handler == nil {
			t.Fatalf("%q: no handler", c.text)
		}
		_, _ = handler(context.Background(), nil)
		if got != c.want || args != c.args {
			t.Errorf("%q in a %s chat (contact %v): %s with %q, want %s with %q", c.text, c.kind, c.contact, got, args, c.want, c.args)
		}
	}
}

// TestCommandWordsAndSynonyms: widths, case and trailing punctuation of a
// command word are normalized, and a synonym routes like its command.
func TestCommandWordsAndSynonyms(t *testing.T) {
	var got string
	h := func(name string) Handler {
		return func(context.Context, *Request) (*Reply, error) { got = name; return nil, nil }
	}
	rt := NewRouter()
	rt.Command(h("ledger"), "台账")
	rt.PublicCommand(h("help"), "帮助", "help", "?")
	rt.Synonym("台帐", "台账")
	rt.Synonym("使用帮助", "帮助")
	rt.Fallback(h("fallback"))
	if err := rt.Err(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ text, want, args string }{
		{"台帐", "ledger", ""},
		{"台账。", "ledger", ""},
		{"台帐！", "ledger", ""},
		{"台账\u3000灵宝", "ledger", "灵宝"},
		{"台账：灵宝", "ledger", "灵宝"},
		{"台账 · 灵宝市交通运输局", "ledger", "灵宝市交通运输局"},
		{"ＨＥＬＰ", "help", ""},
		{"？", "help", ""},
		{"?", "help", ""},
		{"帮助？", "help", ""},
		{"使用帮助", "help", ""},
		{"台账本", "fallback", "台账本"},
	} {
		got = ""
		handler, args, _ := rt.route(&Event{Kind: KindMessage, Text: c.text, Chat: Chat{Kind: Direct}}, false)
		_, _ = handler(context.Background(), nil)
		if got != c.want || args != c.args {
			t.Errorf("%q: %s with %q, want %s with %q", c.text, got, args, c.want, c.args)
		}
	}
	// A synonym keeps its command's public flag.
	if _, _, public := rt.route(&Event{Kind: KindMessage, Text: "使用帮助"}, false); !public {
		t.Error("使用帮助 is not public like 帮助")
	}
	bad := NewRouter()
	bad.Command(h("ledger"), "台账")
	bad.Synonym("台帐", "台账")
	bad.Synonym("台帐", "台账")
	bad.Synonym("x", "nothing")
	if bad.Err() == nil {
		t.Error("a duplicate synonym and a synonym of nothing were accepted")
	}
}
