// hark's web app: keyboard triage and small conveniences. Served by hark itself; no inline
// script anywhere, so the Content-Security-Policy can forbid it. Everything a post says is
// written with textContent, never as markup.
"use strict";

(function () {
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function flash(message, kind) {
    const box = document.getElementById("flash");
    if (!box) return;
    box.textContent = message;
    box.className = kind || "info";
    box.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(() => { box.hidden = true; }, 6000);
  }

  async function post(url, fields) {
    const body = new URLSearchParams(fields);
    const response = await fetch(url, {
      method: "POST",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: body,
      credentials: "same-origin",
    });
    let answer = null;
    try { answer = await response.json(); } catch (_) { answer = null; }
    if (!response.ok) {
      const message = answer && answer.error ? answer.error.message : "The request failed (" + response.status + ").";
      throw new Error(message);
    }
    return answer;
  }

  // The help dialog.
  const help = document.getElementById("keys-help");
  function toggleHelp(show) {
    if (!help) return;
    help.hidden = show === undefined ? !help.hidden : !show;
    if (!help.hidden) { const close = help.querySelector("[data-close-help]"); if (close) close.focus(); }
  }
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-close-help]")) toggleHelp(false);
  });

  function typing(event) {
    const target = event.target;
    return target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }

  // The inbox: j/k move, Enter opens, a/c/r/d/u act on the selected row.
  const list = document.querySelector('[data-keyboard="list"]');
  let selected = -1;
  const rows = () => Array.from(list ? list.querySelectorAll("tr.item") : []);
  function select(index) {
    const all = rows();
    if (all.length === 0) return;
    selected = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((row, i) => { row.classList.toggle("selected", i === selected); row.setAttribute("aria-selected", i === selected ? "true" : "false"); });
    all[selected].scrollIntoView({ block: "nearest" });
  }
  const current = () => rows()[selected];
  const lastAction = [];

  function updateRow(row, detail) {
    row.dataset.version = detail.version;
    const state = row.querySelector("td.state");
    if (state) { state.textContent = detail.state; state.dataset.state = detail.state; }
    const assignee = row.querySelector("td.assignee");
    if (assignee) assignee.textContent = detail.assignee || "—";
    if (detail.queue && list && location.pathname !== "/queues/" + detail.queue) row.classList.add("moved");
  }

  // Actions run one after another: a key pressed while the previous action is still on its
  // way waits for it, so it carries the version that action produced (otherwise quick typing,
  // "a" then "c", would be refused as someone else's change).
  let pending = Promise.resolve();
  function act(row, action, reason) {
    const run = () => actNow(row, action, reason);
    pending = pending.then(run, run);
    return pending;
  }

  async function actNow(row, action, reason) {
    const id = row.dataset.itemId;
    const version = row.dataset.version;
    const routes = { assign: "/items/" + id + "/assign", undo: "/items/" + id + "/undo" };
    const url = routes[action] || "/items/" + id + "/transition";
    const fields = { version: version };
    if (!routes[action]) fields.state = action;
    if (reason) fields.reason = reason;
    try {
      const detail = await post(url, fields);
      updateRow(row, detail);
      if (action !== "undo") lastAction.push(row);
      flash("Item " + id + ": " + detail.state + (detail.assignee ? ", assigned to " + detail.assignee : ""), "ok");
    } catch (error) {
      flash(error.message, "error");
    }
  }

  // The dismiss dialog: a reason is required.
  function chooseReason() {
    return new Promise((resolve) => {
      const dialog = document.getElementById("dismiss-dialog");
      if (!dialog) { resolve(null); return; }
      const select = dialog.querySelector("select");
      dialog.hidden = false;
      select.focus();
      function done(value) {
        dialog.hidden = true;
        dialog.removeEventListener("submit", onSubmit);
        dialog.removeEventListener("keydown", onKey);
        resolve(value);
      }
      function onSubmit(event) { event.preventDefault(); done(select.value); }
      function onKey(event) { if (event.key === "Escape") { event.preventDefault(); done(null); } }
      dialog.addEventListener("submit", onSubmit);
      dialog.addEventListener("keydown", onKey);
    });
  }

  // The item page: the keys press the page's own buttons.
  const item = document.querySelector('[data-keyboard="item"]');

  document.addEventListener("keydown", async (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape") { toggleHelp(false); return; }
    if (typing(event)) return;
    if (event.key === "?") { event.preventDefault(); toggleHelp(); return; }
    if (list) {
      if (event.key === "j") { event.preventDefault(); select(selected + 1); return; }
      if (event.key === "k") { event.preventDefault(); select(selected - 1); return; }
      const row = current();
      if (!row) return;
      if (event.key === "Enter") { event.preventDefault(); location.href = row.dataset.href; return; }
      const actions = { a: "assign", c: "contacted", r: "resolved" };
      if (actions[event.key]) { event.preventDefault(); await act(row, actions[event.key]); return; }
      if (event.key === "d") {
        event.preventDefault();
        const reason = await chooseReason();
        if (reason) await act(row, "dismissed", reason);
        return;
      }
      if (event.key === "u") {
        event.preventDefault();
        const last = lastAction.pop() || row;
        await act(last, "undo");
        return;
      }
    } else if (item) {
      if (event.key === "d") {
        event.preventDefault();
        const reason = document.getElementById("dismiss-reason");
        if (reason) reason.focus();
        return;
      }
      const button = item.querySelector('button[data-key="' + CSS.escape(event.key) + '"]');
      if (button) { event.preventDefault(); button.click(); }
    }
  });

  if (list && rows().length > 0) select(0);

  // Cues: asked for after the page is shown, so a slow model never holds it up.
  const cues = document.getElementById("cues");
  if (cues && cues.dataset.src) {
    fetch(cues.dataset.src, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then((response) => response.json().then((answer) => ({ ok: response.ok, answer: answer })))
      .then(({ ok, answer }) => {
        cues.textContent = "";
        if (!ok) { cues.textContent = answer && answer.error ? answer.error.message : "The phrases could not be found."; return; }
        if (answer.cues.length === 0) { cues.textContent = "No single phrase stands out."; return; }
        const intro = document.createElement("p");
        intro.textContent = "Phrases behind the flags:";
        const listElement = document.createElement("ul");
        listElement.className = "cues";
        answer.cues.forEach((cue) => {
          const entry = document.createElement("li");
          const quote = document.createElement("q");
          quote.textContent = cue;
          entry.appendChild(quote);
          listElement.appendChild(entry);
        });
        cues.appendChild(intro);
        cues.appendChild(listElement);
      })
      .catch(() => { cues.textContent = "The phrases could not be loaded."; });
  }
})();
