// The web chat page: a thin client of the JSON API. All text comes from the server (replies
// and the data-* attributes the server fills from locales/).
(function () {
  "use strict";
  const body = document.body;
  const words = {
    connectionError: body.dataset.connectionError,
    pinRemoved: body.dataset.pinRemoved,
    you: body.dataset.you,
    bot: body.dataset.bot,
  };
  const lang = body.dataset.lang;
  const list = document.getElementById("messages");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const status = document.getElementById("status");
  const storageKey = "eimza-webchat";
  let session = null;
  let busy = false;
  // How many transcript entries the server holds for this page (to fetch only new ones).
  let serverCount = 0;

  function headers(withAuth) {
    const h = { "Content-Type": "application/json", "Accept-Language": lang };
    if (withAuth && session) h["Authorization"] = "Bearer " + session.token;
    return h;
  }

  function showError(text) {
    status.textContent = text;
    status.hidden = !text;
  }

  function disableOldButtons() {
    list.querySelectorAll(".buttons button").forEach(function (b) { b.disabled = true; });
  }

  function addMessage(direction, text, buttons) {
    const li = document.createElement("li");
    li.className = "msg " + direction;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = direction === "in" ? words.you : words.bot;
    li.appendChild(who);
    li.appendChild(document.createTextNode(text));
    if (buttons && buttons.length) {
      const row = document.createElement("div");
      row.className = "buttons";
      buttons.forEach(function (b) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = b.label;
        button.dataset.id = b.id;
        button.addEventListener("click", function () { send({ button: b.id }, b.label); });
        row.appendChild(button);
      });
      li.appendChild(row);
    }
    list.appendChild(li);
    li.scrollIntoView({ block: "end" });
    return li;
  }

  function showReplies(replies) {
    disableOldButtons();
    replies.forEach(function (r) { addMessage("out", r.text, r.buttons); });
  }

  async function createSession() {
    const res = await fetch("/api/webchat/sessions", { method: "POST", headers: headers(false) });
    if (!res.ok) throw new Error("create " + res.status);
    const data = await res.json();
    session = { id: data.session, token: data.token };
    localStorage.setItem(storageKey, JSON.stringify(session));
    list.textContent = "";
    showReplies(data.replies);
    serverCount = data.replies.length;
  }

  async function restore() {
    const res = await fetch("/api/webchat/sessions/" + encodeURIComponent(session.id) + "/messages", { headers: headers(true) });
    if (res.status === 401 || res.status === 404) return false;
    if (!res.ok) throw new Error("transcript " + res.status);
    const data = await res.json();
    list.textContent = "";
    data.messages.forEach(function (m) { addMessage(m.direction, m.text, m.buttons); });
    serverCount = data.from + data.messages.length;
    const all = list.querySelectorAll(".buttons");
    all.forEach(function (row, i) {
      if (i < all.length - 1) row.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    });
    return data.messages.length > 0;
  }

  async function send(payload, shown) {
    if (busy) return;
    busy = true;
    showError("");
    disableOldButtons();
    const mine = addMessage("in", shown);
    try {
      const res = await fetch("/api/webchat/sessions/" + encodeURIComponent(session.id) + "/messages", {
        method: "POST", headers: headers(true), body: JSON.stringify(payload),
      });
      const data = await res.json();
      if (!res.ok) {
        mine.remove();
        showError(data.error && data.error.message ? data.error.message : words.connectionError);
        return;
      }
      if (data.deleted_message) {
        mine.className = "msg in removed";
        mine.textContent = words.pinRemoved;
      }
      showReplies(data.replies);
      serverCount += (data.deleted_message ? 0 : 1) + data.replies.length;
    } catch (e) {
      mine.remove();
      showError(words.connectionError);
    } finally {
      busy = false;
      input.focus();
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    send({ text: text }, text);
  });

  document.getElementById("new-chat").addEventListener("click", async function () {
    localStorage.removeItem(storageKey);
    try { await createSession(); } catch (e) { showError(words.connectionError); }
  });

  // Messages the bot sends on its own (a PC asks to pair, the card step reached the PC) are
  // fetched every few seconds while the page is visible.
  async function poll() {
    if (busy || !session || document.hidden) return;
    try {
      const url = "/api/webchat/sessions/" + encodeURIComponent(session.id) + "/messages?after=" + serverCount;
      const res = await fetch(url, { headers: headers(true) });
      if (!res.ok || busy) return;
      const data = await res.json();
      if (data.from !== serverCount || data.messages.length === 0) return;
      const fresh = data.messages;
      serverCount = data.from + data.messages.length;
      if (fresh.some(function (m) { return m.buttons && m.buttons.length; })) disableOldButtons();
      fresh.forEach(function (m) { addMessage(m.direction, m.text, m.buttons); });
    } catch (e) { /* the next poll tries again */ }
  }
  setInterval(poll, 3000);

  (async function start() {
    try {
      const saved = localStorage.getItem(storageKey);
      session = saved ? JSON.parse(saved) : null;
      if (!session || !(await restore())) await createSession();
    } catch (e) {
      showError(words.connectionError);
    }
    input.focus();
  })();
})();
