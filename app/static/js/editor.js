// The lesson editor, enhanced: a live preview beside each Markdown field and presence
// heartbeats. Without this file the form's Preview button renders the same on the server,
// and opening the editor records one heartbeat.
(function () {
  "use strict";

  var form = document.querySelector("form[data-preview-url]");
  if (!form) {
    return;
  }
  var tokenInput = form.querySelector("input[name=csrf_token]");
  var token = tokenInput ? tokenInput.value : "";
  // Once the page is going away nothing more is sent in the background but the "leave"
  // beacon: a preview still waiting for its pause would go out with this page's token.
  var leaving = false;
  window.addEventListener("pagehide", function () { leaving = true; });
  window.addEventListener("pageshow", function () { leaving = false; });

  function post(url, fields) {
    var body = new FormData();
    body.append("csrf_token", token);
    Object.keys(fields).forEach(function (key) { body.append(key, fields[key]); });
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       headers: {"X-Requested-With": "fetch"}});
  }

  // --- live preview: rendered by the server's one sanitising renderer, after a pause ---
  var previewUrl = form.dataset.previewUrl;
  Array.prototype.forEach.call(form.querySelectorAll("[data-preview-for]"), function (pane) {
    var area = document.getElementById(pane.dataset.previewFor);
    var target = pane.querySelector(".prose");
    if (!area || !target) {
      return;
    }
    var timer = null;
    var asked = 0;
    function refresh() {
      var ask = ++asked;
      if (leaving) {
        return;
      }
      if (!area.value.trim()) {
        pane.hidden = true;
        target.textContent = "";
        return;
      }
      post(previewUrl, {text: area.value}).then(function (response) {
        return response.ok ? response.text() : null;
      }).then(function (html) {
        if (html === null || ask !== asked) {
          return;  // a newer request is on its way, or the preview failed: keep the last one
        }
        // The server's sanitised HTML (app/core/markdown.py), the same that a save stores.
        target.innerHTML = html;
        pane.hidden = false;
        if (window.coplanTypeset) {
          window.coplanTypeset(target);
        }
      }).catch(function () {});
    }
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 600);
    });
    form.classList.add("live-previewing");
    if (area.value.trim()) {
      refresh();
    }
  });

  // --- presence: a heartbeat every 20 seconds while open, a "leave" when closed ---
  var notice = document.getElementById("presence");
  if (!notice || !notice.dataset.presenceUrl) {
    return;
  }
  var names = notice.querySelector(".presence-names");
  function beat() {
    post(notice.dataset.presenceUrl, {}).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data) {
        return;
      }
      names.textContent = data.others.join(", ");
      notice.hidden = data.others.length === 0;
    }).catch(function () {});
  }
  var every = setInterval(beat, 20000);
  window.addEventListener("pagehide", function () {
    clearInterval(every);
    var body = new FormData();
    body.append("csrf_token", token);
    if (navigator.sendBeacon) {
      navigator.sendBeacon(notice.dataset.leaveUrl, body);
    }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {  // back from the cache: open again
      beat();
      every = setInterval(beat, 20000);
    }
  });
})();
