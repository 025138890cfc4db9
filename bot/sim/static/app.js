// 整改通 simulator page. Plain script, no framework, no CDN.
//
// State: who I am (a sim account), the chat shown, and the messages of my
// chats by id. An EventSource on api/events streams every new or changed
// message of my chats; cards come rendered as HTML by the server
// (cards.HTML), and this script only wires their buttons and forms.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const ROLE_GROUPS = [
    ["office", "市局专项整治办公室"],
    ["liaison", "联络人"],
    ["leader", "领导"],
    ["member", "单位成员"],
    ["enterprise", "企业联系人"],
  ];

  const state = {
    config: null,
    dir: null,
    me: null, // identity
    chat: null, // chat id
    msgs: new Map(), // chat id -> Map(message id -> message)
    unread: new Map(), // chat id -> count
    es: null,
    toastTimer: 0,
  };

  // ---- helpers ----------------------------------------------------------

  async function api(method, path, body) {
    const opts = { method, headers: {} };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch("api/" + path, opts);
    } catch (e) {
      return { ok: false, status: 0, data: { error: "无法连接服务器" } };
    }
    let data = {};
    try {
      data = await res.json();
    } catch (e) {
      data = {};
    }
    return { ok: res.ok, status: res.status, data };
  }

  function toast(text, kind) {
    const t = $("toast");
    if (!text) return;
    t.textContent = text;
    t.className = "toast toast-" + (kind || "info");
    t.hidden = false;
    clearTimeout(state.toastTimer);
    state.toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
  }

  function fmtTime(iso) {
    const d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    try {
      return d.toLocaleString("zh-CN", {
        timeZone: (state.config && state.config.timezone) || undefined,
        month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
      });
    } catch (e) {
      return d.toLocaleString("zh-CN");
    }
  }

  function setParam(name, value) {
    const u = new URL(location.href);
    if (value) u.searchParams.set(name, value); else u.searchParams.delete(name);
    history.replaceState(null, "", u);
  }

  function chatsOfMe() { return state.me ? state.me.chats : []; }
  function chatInfo(id) { return chatsOfMe().find((c) => c.id === id) || null; }
  function msgMap(chat) {
    if (!state.msgs.has(chat)) state.msgs.set(chat, new Map());
    return state.msgs.get(chat);
  }

  // ---- identities and chats --------------------------------------------

  function renderWho() {
    const sel = $("who");
    sel.textContent = "";
    if (!state.dir.identities.length) {
      const o = document.createElement("option");
      o.textContent = "（尚无人员）";
      sel.appendChild(o);
      sel.disabled = true;
      return;
    }
    for (const [role, label] of ROLE_GROUPS) {
      const ids = state.dir.identities.filter((i) => i.role === role);
      if (!ids.length) continue;
      const g = document.createElement("optgroup");
      g.label = label;
      for (const i of ids) {
        const o = document.createElement("option");
        o.value = i.account;
        o.textContent = i.name + " · " + (i.roles[0] || i.title || "");
        g.appendChild(o);
      }
      sel.appendChild(g);
    }
  }

  function renderChats() {
    const ul = $("chats");
    ul.textContent = "";
    for (const c of chatsOfMe()) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "chat-item";
      b.dataset.chat = c.id;
      if (c.id === state.chat) b.setAttribute("aria-current", "true");
      const icon = document.createElement("span");
      icon.className = "chat-icon";
      icon.setAttribute("aria-hidden", "true");
      icon.textContent = c.kind === "group" ? "群" : "助";
      const name = document.createElement("span");
      name.className = "chat-name";
      name.textContent = c.kind === "group" ? c.title : c.title + "（单聊）";
      b.append(icon, name);
      const n = state.unread.get(c.id) || 0;
      if (n > 0) {
        const badge = document.createElement("span");
        badge.className = "badge";
        badge.textContent = String(n);
        badge.setAttribute("aria-label", n + " 条未读");
        b.appendChild(badge);
      }
      b.addEventListener("click", () => openChat(c.id));
      li.appendChild(b);
      ul.appendChild(li);
    }
  }

  function selectIdentity(account) {
    const me = state.dir.identities.find((i) => i.account === account) || state.dir.identities[0] || null;
    state.me = me;
    state.msgs = new Map();
    state.unread = new Map();
    state.chat = null;
    if (state.es) { state.es.close(); state.es = null; }
    if (!me) {
      $("who-roles").textContent = "";
      renderChats();
      showEmpty("尚未导入专项整治活动。请先运行：zhenggai campaign apply -f deploy/campaigns/demo.yaml");
      return;
    }
    $("who").value = me.account;
    $("who-roles").textContent = me.roles.join("；");
    setParam("as", me.account);
    const want = new URL(location.href).searchParams.get("chat");
    const first = me.chats.find((c) => c.id === want) || me.chats[0];
    openChat(first ? first.id : null);
  }

  // ---- messages -----------------------------------------------------------

  function showEmpty(text) {
    const log = $("log");
    log.textContent = "";
    const li = document.createElement("li");
    li.className = "log-empty";
    li.textContent = text;
    log.appendChild(li);
  }

  async function openChat(id) {
    state.chat = id;
    setParam("chat", id);
    const c = chatInfo(id);
    const input = $("composer-input");
    input.disabled = $("send").disabled = $("file-input").disabled = !c;
    $("mention").hidden = !c || c.kind !== "group";
    $("chat-title").textContent = c ? (c.kind === "group" ? c.title : state.config.bot_name + "（单聊）") : "请选择会话";
    $("chat-hint").textContent = c && c.kind === "group"
      ? "群聊：消息中 @" + state.config.bot_name + " 时机器人才会收到"
      : (c ? "与机器人单聊" : "");
    input.placeholder = c && c.kind === "group" ? "@" + state.config.bot_name + " 台账" : "输入消息，回车发送";
    state.unread.delete(id);
    renderChats();
    delete $("log").dataset.loaded;
    if (!c) { showEmpty("没有会话"); return; }
    const me = state.me;
    const res = await api("GET", "messages?as=" + encodeURIComponent(me.account) + "&chat=" + encodeURIComponent(id));
    if (state.me !== me || state.chat !== id) return;
    if (!res.ok) { toast(res.data.error || "读取消息失败", "error"); return; }
    if (!state.es) connect(res.data.seq);
    const m = msgMap(id);
    for (const msg of res.data.messages) {
      const old = m.get(msg.id);
      if (!old || old.seq <= msg.seq) m.set(msg.id, msg);
    }
    renderLog(true);
    $("log").dataset.loaded = id; // the history is shown (tests wait for it)
  }

  function renderLog(scroll) {
    const log = $("log");
    log.textContent = "";
    const list = [...msgMap(state.chat).values()].sort((a, b) => a.id - b.id);
    if (!list.length) { showEmpty("还没有消息"); return; }
    for (const msg of list) log.appendChild(messageEl(msg));
    if (scroll) log.scrollTop = log.scrollHeight;
  }

  function messageEl(msg) {
    const li = document.createElement("li");
    const mine = state.me && msg.sender === state.me.account;
    li.className = "msg " + (msg.from_bot ? "msg-bot" : mine ? "msg-me" : "msg-other");
    li.id = "msg-" + msg.id;
    li.dataset.id = String(msg.id);
    const meta = document.createElement("div");
    meta.className = "msg-meta";
    const who = document.createElement("span");
    who.className = "msg-sender";
    who.textContent = mine ? "我" : msg.sender_name;
    const time = document.createElement("time");
    time.dateTime = msg.at;
    time.textContent = fmtTime(msg.at);
    meta.append(who, time);
    li.appendChild(meta);
    if (msg.text_html) {
      const b = document.createElement("div");
      b.className = "bubble";
      b.innerHTML = msg.text_html; // escaped by the server
      li.appendChild(b);
    }
    if (msg.card_html) {
      const wrap = document.createElement("div");
      wrap.className = "card-wrap";
      wrap.innerHTML = msg.card_html; // cards.HTML escapes every text
      li.appendChild(wrap);
    }
    if (msg.file) {
      const b = document.createElement("div");
      b.className = "bubble file";
      const a = document.createElement("a");
      a.href = msg.file.url.replace(/^\/sim\//, "") + "?as=" + encodeURIComponent(state.me.account);
      a.textContent = "📎 " + msg.file.name;
      a.setAttribute("download", msg.file.name);
      const size = document.createElement("span");
      size.className = "card-note";
      size.textContent = " " + Math.max(1, Math.round(msg.file.size / 1024)) + " KB";
      b.append(a, size);
      li.appendChild(b);
    }
    return li;
  }

  // upsert shows a new or changed message that came from the stream or an
  // answer.
  function upsert(msg) {
    const m = msgMap(msg.chat);
    const old = m.get(msg.id);
    if (old && old.seq >= msg.seq) return;
    m.set(msg.id, msg);
    if (msg.chat !== state.chat) {
      if (!old) {
        state.unread.set(msg.chat, (state.unread.get(msg.chat) || 0) + 1);
        renderChats();
      }
      return;
    }
    const log = $("log");
    const el = messageEl(msg);
    const existing = $("msg-" + msg.id);
    if (existing) {
      existing.replaceWith(el);
      return;
    }
    const empty = log.querySelector(".log-empty");
    if (empty) empty.remove();
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 120;
    let after = null;
    for (const li of log.children) {
      if (Number(li.dataset.id) > msg.id) { after = li; break; }
    }
    log.insertBefore(el, after);
    if (nearBottom || (state.me && msg.sender === state.me.account)) log.scrollTop = log.scrollHeight;
  }

  // ---- live updates -----------------------------------------------------

  // connect streams the changes of my chats after seq (the history the
  // page read first); EventSource reconnects by itself from the last id.
  function connect(seq) {
    if (!state.me) return;
    const es = new EventSource("api/events?as=" + encodeURIComponent(state.me.account) + "&after=" + (seq || 0));
    state.es = es;
    es.addEventListener("message", (e) => {
      if (state.es !== es) return;
      try {
        upsert(JSON.parse(e.data));
      } catch (err) {
        console.warn("bad event", err);
      }
    });
  }

  // ---- composing --------------------------------------------------------

  async function sendText() {
    const input = $("composer-input");
    const text = input.value.trim();
    if (!text || !state.chat) return;
    $("send").disabled = true;
    const res = await api("POST", "send", { as: state.me.account, chat: state.chat, text });
    $("send").disabled = false;
    if (!res.ok) {
      toast(res.data.error || "发送失败", "error");
      return;
    }
    input.value = "";
    autosize();
    if (res.data.message) upsert(res.data.message);
    input.focus();
  }

  // sendFile sends the chosen file, with the typed text as its caption (in a
  // group, "@整改助手 …" makes the bot receive it).
  function sendFile() {
    const picker = $("file-input");
    const file = picker.files && picker.files[0];
    picker.value = "";
    if (!file || !state.chat) return;
    if (file.size > 10 * 1024 * 1024) {
      toast("附件不能超过 10 MB", "error");
      return;
    }
    const reader = new FileReader();
    reader.onerror = () => toast("读取文件失败", "error");
    reader.onload = async () => {
      const url = String(reader.result || "");
      const data = url.slice(url.indexOf(",") + 1);
      const input = $("composer-input");
      const res = await api("POST", "send", {
        as: state.me.account, chat: state.chat, text: input.value.trim(),
        file: { name: file.name, mime: file.type, data },
      });
      if (!res.ok) {
        toast(res.data.error || "发送失败", "error");
        return;
      }
      input.value = "";
      autosize();
      if (res.data.message) upsert(res.data.message);
    };
    reader.readAsDataURL(file);
  }

  function autosize() {
    const t = $("composer-input");
    t.style.height = "auto";
    t.style.height = Math.min(t.scrollHeight + 2, 140) + "px";
  }

  // ---- cards ------------------------------------------------------------

  // confirmAsk asks a yes/no question in the modal dialog. One question is
  // open at a time; the dialog's close answers it (a close event that
  // arrives while the dialog is open again belongs to an earlier question).
  let confirmResolve = null;
  function confirmAsk(text) {
    const dlg = $("confirm");
    if (typeof dlg.showModal !== "function") return Promise.resolve(window.confirm(text));
    if (confirmResolve) confirmResolve(false);
    $("confirm-text").textContent = text;
    return new Promise((resolve) => {
      confirmResolve = resolve;
      dlg.returnValue = "";
      dlg.showModal();
    });
  }

  function onConfirmClose() {
    const dlg = $("confirm");
    if (dlg.open || !confirmResolve) return;
    const resolve = confirmResolve;
    confirmResolve = null;
    resolve(dlg.returnValue === "ok");
  }

  function setBusy(card, busy) {
    card.classList.toggle("is-busy", busy);
    for (const el of card.querySelectorAll("button, input, select, textarea, fieldset")) {
      if (busy) {
        if (!el.disabled) { el.disabled = true; el.dataset.busy = "1"; }
      } else if (el.dataset.busy) {
        el.disabled = false;
        delete el.dataset.busy;
      }
    }
  }

  function fieldControl(field) {
    return field.querySelector("input, select, textarea, fieldset");
  }

  function showFieldError(field, message) {
    const err = field.querySelector(".field-error");
    if (err) err.textContent = message || "";
    const ctl = fieldControl(field);
    if (ctl) {
      if (message) ctl.setAttribute("aria-invalid", "true"); else ctl.removeAttribute("aria-invalid");
    }
  }

  function formValues(form) {
    const values = {};
    for (const field of form.querySelectorAll(".form-field")) {
      const name = field.dataset.field;
      if (field.dataset.kind === "multi_select") {
        values[name] = [...field.querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value);
      } else {
        const ctl = field.querySelector("input, select, textarea");
        values[name] = ctl && ctl.value.trim() !== "" ? [ctl.value] : [];
      }
    }
    return values;
  }

  // checkForm marks empty required fields; it returns false when one is.
  function checkForm(form, values) {
    let first = null;
    for (const field of form.querySelectorAll(".form-field")) {
      const empty = !(values[field.dataset.field] || []).length;
      const bad = field.dataset.required === "true" && empty;
      showFieldError(field, bad ? "请填写“" + field.dataset.label + "”" : "");
      if (bad && !first) first = field;
    }
    if (first) {
      const ctl = first.querySelector("input, select, textarea");
      if (ctl) ctl.focus();
      return false;
    }
    return true;
  }

  async function act(card, action, params, values) {
    const li = card.closest(".msg");
    if (!li) return;
    setBusy(card, true);
    const res = await api("POST", "action", {
      as: state.me.account, chat: state.chat, message: Number(li.dataset.id),
      action, params, form: values,
    });
    if (!res.ok) {
      setBusy(card, false);
      if (res.data.fields && values) {
        const form = card.querySelector("form.card-form");
        for (const f of res.data.fields) {
          const field = form && form.querySelector('.form-field[data-field="' + CSS.escape(f.field) + '"]');
          if (field) showFieldError(field, f.message);
        }
      }
      toast(res.data.error || "操作失败", "error");
      return;
    }
    if (res.data.message) {
      const changed = res.data.message.seq !== (msgMap(state.chat).get(res.data.message.id) || {}).seq;
      const hadFocus = card.contains(document.activeElement);
      upsert(res.data.message);
      if (!changed) setBusy(card, false);
      // Keep the keyboard where it was: on the card that replaced this one.
      const now = $("msg-" + res.data.message.id);
      const fresh = now && now.querySelector(".card");
      if (hadFocus && fresh && fresh !== card) {
        fresh.setAttribute("tabindex", "-1");
        fresh.focus();
      }
    } else {
      setBusy(card, false);
    }
    if (res.data.toast) toast(res.data.toast, res.data.toast_kind);
  }

  async function onLogClick(e) {
    const btn = e.target.closest("button[data-action]");
    if (!btn || btn.disabled || btn.type === "submit") return;
    const card = btn.closest(".card");
    if (!card) return;
    e.preventDefault();
    if (btn.dataset.confirm && !(await confirmAsk(btn.dataset.confirm))) return;
    let params = {};
    try { params = JSON.parse(btn.dataset.params || "{}"); } catch (err) { params = {}; }
    await act(card, btn.dataset.action, params, null);
  }

  async function onLogSubmit(e) {
    const form = e.target.closest("form.card-form");
    if (!form) return;
    e.preventDefault();
    const card = form.closest(".card");
    const values = formValues(form);
    if (!checkForm(form, values)) {
      toast("请先填写必填项", "warning");
      return;
    }
    const submit = form.querySelector("button[type=submit]");
    if (submit && submit.dataset.confirm && !(await confirmAsk(submit.dataset.confirm))) return;
    let params = {};
    try { params = JSON.parse(form.dataset.params || "{}"); } catch (err) { params = {}; }
    await act(card, form.dataset.action, params, values);
  }

  // ---- clock panel ------------------------------------------------------

  function setupClock() {
    const out = $("clock-out");
    const at = $("clock-at");
    at.value = state.config.now || "";
    if (!state.config.tick_enabled) {
      at.disabled = $("clock-run").disabled = true;
      out.textContent = "定时任务尚未接入";
      return;
    }
    $("clock-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!at.value) { out.textContent = "请选择时刻"; return; }
      $("clock-run").disabled = true;
      out.textContent = "正在运行 " + at.value.replace("T", " ") + " 的定时任务…";
      const res = await api("POST", "tick", { at: at.value });
      $("clock-run").disabled = false;
      out.textContent = res.ok ? (res.data.at.replace("T", " ") + "：" + (res.data.summary || "完成")) : (res.data.error || "运行失败");
    });
  }

  // ---- start ------------------------------------------------------------

  async function start() {
    const [cfg, dir] = await Promise.all([api("GET", "config"), api("GET", "identities")]);
    if (!cfg.ok || !dir.ok) {
      showEmpty((cfg.data.error || dir.data.error || "无法连接服务器") + "，请刷新页面重试。");
      return;
    }
    state.config = cfg.data;
    state.dir = dir.data;
    $("campaign").textContent = state.dir.campaign || "";
    document.title = "整改通 · 模拟器" + (state.dir.campaign ? " · " + state.dir.campaign : "");
    setupClock();
    renderWho();
    $("who").addEventListener("change", (e) => { setParam("chat", null); selectIdentity(e.target.value); });
    $("composer").addEventListener("submit", (e) => { e.preventDefault(); sendText(); });
    $("composer-input").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendText(); }
    });
    $("composer-input").addEventListener("input", autosize);
    $("file-input").addEventListener("change", sendFile);
    $("mention").addEventListener("click", () => {
      const t = $("composer-input");
      const at = "@" + state.config.bot_name + " ";
      if (!t.value.startsWith(at)) t.value = at + t.value;
      t.focus();
    });
    $("confirm").addEventListener("close", onConfirmClose);
    $("log").addEventListener("click", onLogClick);
    $("log").addEventListener("submit", onLogSubmit);
    selectIdentity(new URL(location.href).searchParams.get("as"));
    document.body.dataset.ready = "1";
  }

  document.addEventListener("DOMContentLoaded", () => {
    start().catch((e) => {
      console.error(e);
      toast("页面出错：" + e.message, "error");
    });
  });
})();
