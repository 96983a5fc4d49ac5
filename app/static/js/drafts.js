// Nothing a teacher types into a plan is lost when her login session ends.
//
// The text is kept in this browser (localStorage, per person and per plan) while she types, and
// forgotten once the server says the plan was saved (<body data-saved-drafts>) or she logs out.
// Before the form is sent, the page asks /session whether she is still signed in: if not, it
// keeps her on the page and offers to sign in again in a new tab; back here, "Save now" sends
// the form with a fresh form token. The server itself never stores text from a request that
// has no session: that is what let another site plant text in a teacher's form.
(function () {
  "use strict";
  var PREFIX = "coplan:draft:";
  var body = document.body;
  var store = null;
  try {
    store = window.localStorage;
    store.getItem(PREFIX);
  } catch (e) {
    store = null;
  }
  if (!store) return;

  // --- forget what the server has saved ---------------------------------------------------------
  var user = body.getAttribute("data-user") || "";
  (body.getAttribute("data-saved-drafts") || "").split(" ").forEach(function (target) {
    if (target === "*") {
      for (var i = store.length - 1; i >= 0; i--) {
        var name = store.key(i);
        if (name && name.indexOf(PREFIX) === 0) store.removeItem(name);
      }
    } else if (target && user) {
      store.removeItem(PREFIX + user + ":" + target);
    }
  });

  var form = document.querySelector("form[data-keep-draft]");
  if (!form || !user || !form.getAttribute("data-keep-draft")) return;
  var key = PREFIX + user + ":" + form.getAttribute("data-keep-draft");
  // The "Add a picture" box (pictures.js) is not the teacher's text: its choice of field
  // follows the cursor, and a picture's description goes into the text once it is added.
  var SKIP = { csrf_token: true, action: true, picture_field: true, picture_alt: true };

  function controls(visit) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name]) return;
      if (el.type === "submit" || el.type === "button" || el.type === "file") return;
      visit(el);
    });
  }

  function values() {
    var out = {};
    controls(function (el) {
      var list = out[el.name] || (out[el.name] = []);
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      list.push(el.value);
    });
    return out;
  }

  function fill(saved) {
    var seen = {};
    controls(function (el) {
      if (!Object.prototype.hasOwnProperty.call(saved, el.name)) return;
      var list = saved[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = list.indexOf(el.value) !== -1;
        return;
      }
      var index = seen[el.name] || 0;
      seen[el.name] = index + 1;
      if (index < list.length) el.value = list[index];
    });
  }

  function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  function read() {
    try {
      var kept = JSON.parse(store.getItem(key) || "null");
      return kept && kept.fields ? kept : null;
    } catch (e) {
      return null;
    }
  }

  var initial = values();

  // The labels of the fields whose kept text differs from what the form shows now.
  function changedLabels(saved) {
    var labels = [];
    Object.keys(saved).forEach(function (name) {
      if (same(saved[name], initial[name] || [])) return;
      var control = form.elements[name];
      if (control && control.length && !control.id) control = control[0];
      var label = control && control.id ? form.querySelector("label[for='" + control.id + "']")
        : null;
      var text = label ? label.textContent.replace(/\s*\(optional\)\s*$/, "").trim() : "";
      if (text && labels.indexOf(text) === -1 && name !== "base_number") labels.push(text);
    });
    return labels.slice(0, 4);
  }

  function keep() {
    var now = values();
    if (same(now, initial) && !store.getItem(key)) return;
    try {
      store.setItem(key, JSON.stringify({ at: Date.now(), fields: now }));
    } catch (e) {
      // Storage full or refused: the form still works as before.
    }
  }

  // --- panels -----------------------------------------------------------------------------------
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function button(text, className) {
    var node = element("button", className, text);
    node.type = "button";
    return node;
  }

  var panel = null;

  function showPanel(role, className) {
    if (panel) panel.parentNode.removeChild(panel);
    panel = element("div", "panel " + className);
    panel.setAttribute("role", role);
    panel.setAttribute("tabindex", "-1");
    form.parentNode.insertBefore(panel, form);
    return panel;
  }

  function closePanel() {
    if (panel) panel.parentNode.removeChild(panel);
    panel = null;
  }

  // --- offer text kept from an earlier visit ----------------------------------------------------
  var kept = read();
  if (form.hasAttribute("data-draft-posted")) {
    // The server has just shown the text back (a field error or a merge). The copy kept when
    // it was sent stays until the teacher types again: it is the whole of what she typed.
  } else if (kept && same(kept.fields, initial)) {
    store.removeItem(key);
  } else if (kept) {
    var offer = showPanel("region", "warning draft-offer");
    offer.setAttribute("aria-label", "Unsaved text kept in this browser");
    var when = new Date(kept.at).toLocaleString("en-GB", {
      day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit"
    });
    var parts = changedLabels(kept.fields);
    var message = element("p");
    message.setAttribute("role", "status"); // filled once in the page, so it is announced
    offer.appendChild(message);
    setTimeout(function () {
      message.textContent = "This browser kept text you typed into this form on " + when +
        " that was not saved" + (parts.length ? " (" + parts.join(", ") + ")." : ".");
    }, 50);
    var actions = element("p", "actions");
    var restore = button("Restore my text");
    var discard = button("Discard it", "secondary");
    actions.appendChild(restore);
    actions.appendChild(document.createTextNode(" "));
    actions.appendChild(discard);
    offer.appendChild(actions);
    restore.addEventListener("click", function () {
      fill(kept.fields);
      var done = showPanel("status", "success draft-offer");
      done.appendChild(element("p", "", "Your text is back in the form. Check it, then press Save."));
      done.focus();
    });
    discard.addEventListener("click", function () {
      store.removeItem(key);
      closePanel();
      var first = form.querySelector("input:not([type=hidden]), textarea, select");
      if (first) first.focus();
    });
  }

  var timer = null;
  function keepSoon() {
    clearTimeout(timer);
    timer = setTimeout(keep, 300);
  }
  form.addEventListener("input", keepSoon);
  form.addEventListener("change", keepSoon);
  window.addEventListener("pagehide", keep);

  // --- check the session before sending ---------------------------------------------------------
  var confirmed = false;
  var checking = false;
  var lastSubmitter = null;

  function setToken(token) {
    var input = form.querySelector("input[name=csrf_token]");
    if (input && token) input.value = token;
  }

  function check(done) {
    fetch(form.getAttribute("data-session-url"), {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (state) {
      if (!state) return done("unknown");
      if (state.signed_in && String(state.user) === user) {
        setToken(state.csrf_token);
        return done("ok");
      }
      done(state.signed_in ? "other" : "signed-out", state.login_url);
    }).catch(function () {
      done("unknown"); // offline or the server is away: let the browser try and report
    });
  }

  function send() {
    confirmed = true;
    if (form.requestSubmit) {
      form.requestSubmit(lastSubmitter || undefined);
    } else {
      if (lastSubmitter && lastSubmitter.name) {
        var hidden = element("input");
        hidden.type = "hidden";
        hidden.name = lastSubmitter.name;
        hidden.value = lastSubmitter.value;
        form.appendChild(hidden);
      }
      form.submit();
    }
  }

  function ended(state, loginUrl) {
    var box = showPanel("alert", "warning session-ended");
    box.appendChild(element("h2", "", "Your session has ended"));
    box.appendChild(element("p", "", state === "other"
      ? "This browser is now signed in as someone else, so nothing has been saved yet. "
        + "What you typed is still here, and kept in this browser."
      : "Nothing has been saved yet. What you typed is still here, and kept in this browser."));
    var steps = element("p");
    var link = element("a", "", "Sign in again in a new tab");
    link.href = loginUrl || "/login";
    link.target = "_blank";
    link.rel = "noopener";
    steps.appendChild(link);
    steps.appendChild(document.createTextNode(", then come back to this tab and press “Save now”."));
    box.appendChild(steps);
    var again = button("Save now");
    again.className = "session-save-now";
    box.appendChild(element("p")).appendChild(again);
    var note = element("p", "hint");
    note.setAttribute("aria-live", "polite");
    box.appendChild(note);
    again.addEventListener("click", function () {
      note.textContent = "Checking that you are signed in…";
      check(function (next) {
        if (next === "ok" || next === "unknown") {
          closePanel();
          send();
        } else {
          note.textContent = "You are not signed in as yourself yet. Use the link above, then " +
            "press “Save now” again.";
        }
      });
    });
    box.focus();
  }

  form.addEventListener("submit", function (event) {
    keep();
    if (confirmed) {
      confirmed = false;
      return;
    }
    event.preventDefault();
    lastSubmitter = event.submitter || null;
    if (checking) return;
    checking = true;
    check(function (state, loginUrl) {
      checking = false;
      if (state === "ok" || state === "unknown") send();
      else ended(state, loginUrl);
    });
  });
})();
