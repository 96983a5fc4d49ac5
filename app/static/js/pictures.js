// "Add a picture" beside Markdown fields, enhanced (templates/files/_picture_upload.html).
// Without this file the button sends the whole form with the picture and the page comes back
// with the picture's Markdown added to the chosen text. With it, the picture is uploaded on
// its own and `![description](address)` goes in at the cursor of the text last worked in;
// pasting or dropping a picture into a text asks for its description first.
(function () {
  "use strict";

  if (window.coplanPictures) {
    return;  // base.html loads this on every page; a page that loads it again sets up once
  }
  window.coplanPictures = true;

  function setUp(box) {
    var form = box.closest("form");
    if (!form) {
      return;
    }
    var url = box.dataset.pictureUrl;
    var fileInput = box.querySelector("input[name=picture]");
    var altInput = box.querySelector("input[name=picture_alt]");
    var choice = box.querySelector("select[name=picture_field]");
    var fixed = box.querySelector("input[type=hidden][name=picture_field]");
    var button = box.querySelector("button[name=picture_add]");
    var status = box.querySelector(".picture-status");
    var pendingNote = box.querySelector(".picture-pending");
    var tokenInput = form.querySelector("input[name=csrf_token]");
    var allowed = choice ? Array.prototype.map.call(choice.options, function (o) { return o.value; })
                         : [fixed ? fixed.value : ""];
    // The text a picture goes into, and where its cursor was when the teacher left it.
    var target = null;
    var cursor = null;
    // A pasted or dropped picture, waiting for its description.
    var pending = null;

    function areas() {
      return Array.prototype.filter.call(form.querySelectorAll("textarea"), function (area) {
        return allowed.indexOf(area.name) >= 0;
      });
    }

    function say(message, isError) {
      status.textContent = message;
      status.classList.toggle("field-error", Boolean(isError));
    }

    function remember(area) {
      target = area;
      cursor = {start: area.selectionStart, end: area.selectionEnd};
      if (choice && choice.value !== area.name) {
        choice.value = area.name;
      }
    }

    function chosenArea() {
      if (target) {
        return target;
      }
      var name = choice ? choice.value : allowed[0];
      return form.querySelector("textarea[name='" + name + "']");
    }

    function labelOf(area) {
      var label = form.querySelector("label[for='" + area.id + "']");
      return label ? label.firstChild.textContent.trim() : "the text";
    }

    function insert(area, markdown) {
      var text = area.value;
      var start = cursor && target === area ? cursor.start : text.length;
      var end = cursor && target === area ? cursor.end : text.length;
      var before = text.slice(0, start);
      var after = text.slice(end);
      // On a line of its own, so it reads as a picture between the sentences around it.
      var piece = (before && !/\n$/.test(before) ? "\n" : "") + markdown +
                  (/^\n/.test(after) ? "" : "\n");
      area.value = before + piece + after;
      var caret = before.length + piece.length;
      area.focus();
      area.setSelectionRange(caret, caret);
      remember(area);
      // The live preview and the kept draft listen for typing.
      area.dispatchEvent(new Event("input", {bubbles: true}));
    }

    function clear() {
      pending = null;
      pendingNote.hidden = true;
      pendingNote.textContent = "";
      fileInput.value = "";
      altInput.value = "";
    }

    function upload() {
      var file = pending || (fileInput.files && fileInput.files[0]);
      var alt = altInput.value.trim();
      if (!file) {
        say("Choose a picture to add.", true);
        fileInput.focus();
        return;
      }
      if (!alt) {
        say("Describe the picture in a few words first, for colleagues who use a screen reader.",
            true);
        altInput.focus();
        return;
      }
      var area = chosenArea();
      if (!area) {
        say("Choose which text the picture goes into.", true);
        return;
      }
      var body = new FormData();
      body.append("csrf_token", tokenInput ? tokenInput.value : "");
      body.append("picture", file, file.name || "pasted-picture.png");
      body.append("picture_alt", alt);
      button.disabled = true;
      say("Adding the picture…", false);
      fetch(url, {method: "POST", body: body, credentials: "same-origin",
                  headers: {"Accept": "application/json", "X-Requested-With": "fetch"}})
        .then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (data) {
            return {ok: response.ok, status: response.status, data: data};
          });
        })
        .then(function (result) {
          if (result.ok && result.data.markdown) {
            insert(area, result.data.markdown);
            clear();
            say("Picture added to " + labelOf(area) + ".", false);
            return;
          }
          var fields = result.data.fields || {};
          var message = fields.picture || fields.picture_alt || result.data.message ||
            (result.status === 413 ? "That picture is too large." :
             "The picture could not be added. Try again.");
          say(message, true);
        })
        .catch(function () {
          say("The picture could not be sent: check your connection and try again. Your text " +
              "is still here.", true);
        })
        .then(function () { button.disabled = false; });
    }

    function offer(file, area) {
      remember(area);
      pending = file;
      pendingNote.textContent = "A picture is ready to add to " + labelOf(area) +
        ". Describe it below, then press Add picture.";
      pendingNote.hidden = false;
      say("", false);
      altInput.focus();
    }

    function imageFrom(list) {
      for (var i = 0; list && i < list.length; i++) {
        if (list[i] && /^image\//.test(list[i].type)) {
          return list[i];
        }
      }
      return null;
    }

    areas().forEach(function (area) {
      ["focus", "keyup", "mouseup", "select", "input"].forEach(function (name) {
        area.addEventListener(name, function () { remember(area); });
      });
      area.addEventListener("paste", function (event) {
        var file = event.clipboardData && imageFrom(event.clipboardData.files);
        if (file) {
          event.preventDefault();
          offer(file, area);
        }
      });
      area.addEventListener("dragover", function (event) {
        if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types,
                                                               "Files") >= 0) {
          event.preventDefault();
        }
      });
      area.addEventListener("drop", function (event) {
        var file = event.dataTransfer && imageFrom(event.dataTransfer.files);
        if (file) {
          event.preventDefault();
          area.focus();
          offer(file, area);
        }
      });
    });
    fileInput.addEventListener("change", function () {
      pending = null;
      pendingNote.hidden = true;
    });
    button.addEventListener("click", function (event) {
      event.preventDefault();
      upload();
    });
    // Enter in the description adds the picture instead of sending (saving) the whole form.
    altInput.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        upload();
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-picture-upload]"), setUp);
})();
