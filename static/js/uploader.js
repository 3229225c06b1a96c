// The uploader on /studio/works/upload/. Choose or drop images, give each a title (prefilled
// from its file name), check the two declarations the server requires, open an upload batch,
// send each file to the works API (one request per file, two at a time) with a progress bar,
// show what the server answered, then go on to the batch page.
// The server decides what it accepts (type, size, pixels, quota): nothing is filtered here, and
// every refusal shown is the server's own message.
(function () {
  "use strict";

  var CONCURRENCY = 2; // files in flight at once; the form's data-concurrency may lower it
  var TITLE_MAX = 200; // for the prefilled title only: a longer typed one is the server's to refuse
  var rowCount = 0; // for unique ids of the title fields

  // --- small helpers ---------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function icon(name) {
    var i = el("i", "bi " + name);
    i.setAttribute("aria-hidden", "true");
    return i;
  }

  function formatBytes(n) {
    if (n < 1024) return n + " B";
    var units = ["KB", "MB", "GB"];
    var value = n;
    var unit = -1;
    do { value /= 1024; unit += 1; } while (value >= 1024 && unit < units.length - 1);
    return value.toFixed(value < 10 ? 1 : 0) + " " + units[unit];
  }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  // The title a file's field starts with: its file name without the extension, underscores
  // and dashes as spaces. The server gives the same title to a file sent with none
  // (uploads.services.intake.title_from_filename).
  function titleFrom(name) {
    var words = name.replace(/\.[^.]*$/, "").replace(/[_-]/g, " ").replace(/\s+/g, " ").trim();
    return (words || name).slice(0, TITLE_MAX);
  }

  function parseJson(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  // The token of the page's {% csrf_token %} input, else the csrftoken cookie.
  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (input && input.value) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // An API error body is {"code", "message", "fields"}; name the field problems too.
  function errorText(body, status) {
    if (body && typeof body.message === "string") {
      var details = [];
      if (body.fields && typeof body.fields === "object") {
        Object.keys(body.fields).forEach(function (key) {
          [].concat(body.fields[key]).forEach(function (m) {
            if (typeof m === "string" && m !== body.message) details.push(m);
          });
        });
      }
      return details.length ? body.message + " " + details.join(" ") : body.message;
    }
    if (status === 413) return "The file is too large for the server to accept.";
    if (status >= 500) return "Something went wrong on our side (HTTP " + status + "). Please try again.";
    return "The server refused the file (HTTP " + status + ").";
  }

  // --- the uploader ----------------------------------------------------------------------------

  function Uploader(form) {
    this.form = form;
    this.input = form.querySelector("[data-file-input]");
    this.zone = form.querySelector("[data-dropzone]");
    this.queue = form.querySelector("[data-queue]");
    this.summary = form.querySelector("[data-upload-summary]");
    this.formError = form.querySelector("[data-form-error]");
    this.submit = form.querySelector("[data-submit]");
    this.submitLabel = form.querySelector("[data-submit-label]");
    this.overall = form.querySelector("[data-overall]");
    this.items = [];
    this.busy = false;
    this.started = false;
    this.bind();
    this.render();
  }

  Uploader.prototype.bind = function () {
    var self = this;
    this.input.addEventListener("change", function () {
      self.add(self.input.files);
      self.input.value = ""; // so removing a file and choosing it again works
    });

    // A click anywhere on the zone opens the picker (the label already does, on itself).
    this.zone.addEventListener("click", function (event) {
      if (event.target.closest("label, input") || self.started) return;
      self.input.click();
    });
    ["dragenter", "dragover"].forEach(function (type) {
      self.zone.addEventListener(type, function (event) {
        event.preventDefault();
        if (!self.started) self.zone.classList.add("is-dragover");
      });
    });
    ["dragleave", "dragend"].forEach(function (type) {
      self.zone.addEventListener(type, function (event) {
        if (!self.zone.contains(event.relatedTarget)) self.zone.classList.remove("is-dragover");
      });
    });
    this.zone.addEventListener("drop", function (event) {
      event.preventDefault();
      self.zone.classList.remove("is-dragover");
      if (event.dataTransfer && event.dataTransfer.files) self.add(event.dataTransfer.files);
    });
    // A file dropped next to the zone must not make the browser leave the page to open it.
    window.addEventListener("dragover", function (event) { event.preventDefault(); });
    window.addEventListener("drop", function (event) { event.preventDefault(); });

    this.form.addEventListener("change", function (event) {
      if (event.target.name === "ai_involvement") self.clearError("ai_involvement");
      if (event.target.name === "rights_confirmed") self.clearError("rights_confirmed");
    });
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.start();
    });
    window.addEventListener("beforeunload", function (event) {
      if (!self.busy) return;
      event.preventDefault();
      event.returnValue = "";
    });
  };

  // --- choosing files --------------------------------------------------------------------------

  Uploader.prototype.add = function (files) {
    if (this.started) return;
    var self = this;
    Array.prototype.forEach.call(files || [], function (file) {
      var twin = self.items.some(function (item) {
        return item.file.name === file.name && item.file.size === file.size &&
          item.file.lastModified === file.lastModified;
      });
      if (!twin) self.items.push(self.makeItem(file));
    });
    if (this.items.length) this.clearError("files");
    this.render();
  };

  Uploader.prototype.makeItem = function (file) {
    var self = this;
    var item = { file: file, loaded: 0, state: "ready" };
    var row = el("li", "list-group-item upload-row");
    var line = el("div", "d-flex align-items-center gap-3");
    item.icon = el("span", "upload-icon");
    item.icon.appendChild(icon("bi-file-earmark-image"));
    var body = el("div", "flex-grow-1 min-w-0");
    var head = el("div", "d-flex justify-content-between align-items-baseline gap-2");
    var name = el("span", "text-truncate fw-medium", file.name);
    name.title = file.name;
    head.appendChild(name);
    head.appendChild(el("span", "small text-body-secondary text-nowrap", formatBytes(file.size)));
    item.progress = el("div", "progress progress-thin mt-1");
    item.progress.setAttribute("role", "progressbar");
    item.progress.setAttribute("aria-label", "Upload of " + file.name);
    item.progress.setAttribute("aria-valuemin", "0");
    item.progress.setAttribute("aria-valuemax", "100");
    item.progress.hidden = true;
    item.bar = el("div", "progress-bar");
    item.progress.appendChild(item.bar);
    item.status = el("div", "small upload-status text-body-secondary", "Ready to upload");
    body.appendChild(head);
    body.appendChild(this.titleField(item, file));
    body.appendChild(item.progress);
    body.appendChild(item.status);
    item.remove = el("button", "btn btn-sm btn-link text-body-secondary p-1 upload-remove");
    item.remove.type = "button";
    item.remove.setAttribute("aria-label", "Remove " + file.name);
    item.remove.appendChild(icon("bi-x-lg"));
    item.remove.addEventListener("click", function () {
      self.items = self.items.filter(function (other) { return other !== item; });
      self.render();
    });
    line.appendChild(item.icon);
    line.appendChild(body);
    line.appendChild(item.remove);
    row.appendChild(line);
    item.row = row;
    return item;
  };

  // An editable title for the file, prefilled from its name; left empty, the server uses the
  // same name-derived title.
  Uploader.prototype.titleField = function (item, file) {
    var id = "upload-title-" + (rowCount += 1);
    var group = el("div", "input-group input-group-sm upload-title mt-1");
    var label = el("label", "input-group-text", "Title");
    label.htmlFor = id;
    label.appendChild(el("span", "visually-hidden", " for " + file.name));
    item.title = el("input", "form-control");
    item.title.type = "text";
    item.title.id = id;
    item.title.value = titleFrom(file.name);
    item.title.placeholder = titleFrom(file.name);
    item.title.autocomplete = "off";
    item.title.spellcheck = true;
    item.title.setAttribute("data-title-input", "");
    item.status.id = id + "-status"; // what the server says of this file, the title included
    item.title.setAttribute("aria-describedby", item.status.id);
    group.appendChild(label);
    group.appendChild(item.title);
    return group;
  };

  Uploader.prototype.render = function () {
    var self = this;
    this.queue.replaceChildren.apply(this.queue, this.items.map(function (item) { return item.row; }));
    this.queue.hidden = !this.items.length;
    var bytes = this.items.reduce(function (sum, item) { return sum + item.file.size; }, 0);
    this.summary.textContent = this.items.length
      ? plural(this.items.length, "file", "files") + " · " + formatBytes(bytes)
      : "No files yet";
    if (!this.started) {
      this.submitLabel.textContent = this.items.length
        ? "Upload " + plural(this.items.length, "file", "files")
        : "Upload";
    }
    this.items.forEach(function (item) { item.remove.hidden = self.started; });
  };

  // --- declarations and errors -----------------------------------------------------------------

  Uploader.prototype.showError = function (field, message) {
    var box = this.form.querySelector('[data-error-for="' + field + '"]');
    if (box) {
      box.textContent = message;
      box.classList.add("d-block");
    }
    if (field === "files") this.zone.classList.add("is-invalid");
    this.form.querySelectorAll('[name="' + field + '"]').forEach(function (input) {
      input.classList.add("is-invalid");
      input.setAttribute("aria-invalid", "true");
      if (box) {
        box.id = box.id || "error-" + field;
        input.setAttribute("aria-describedby", box.id);
      }
    });
  };

  Uploader.prototype.clearError = function (field) {
    var box = this.form.querySelector('[data-error-for="' + field + '"]');
    if (box) {
      box.textContent = "";
      box.classList.remove("d-block");
    }
    if (field === "files") this.zone.classList.remove("is-invalid");
    this.form.querySelectorAll('[name="' + field + '"]').forEach(function (input) {
      input.classList.remove("is-invalid");
      input.removeAttribute("aria-invalid");
    });
  };

  Uploader.prototype.showFormError = function (message) {
    this.formError.textContent = message;
    this.formError.hidden = !message;
  };

  // The declarations, or null after marking what is missing.
  Uploader.prototype.declarations = function () {
    var ai = this.form.querySelector("input[name=ai_involvement]:checked");
    var confirmed = this.form.querySelector("input[name=rights_confirmed]");
    var problems = [];
    if (!this.items.length) {
      this.showError("files", "Choose at least one image to upload.");
      problems.push(this.input);
    }
    if (!ai) {
      this.showError("ai_involvement", "Say whether AI was involved in making these works.");
      problems.push(this.form.querySelector("input[name=ai_involvement]"));
    }
    if (!confirmed.checked) {
      this.showError("rights_confirmed",
        "Confirm that you hold the rights to these works, or act for the rights holder named above.");
      problems.push(confirmed);
    }
    if (problems.length) {
      problems[0].focus();
      return null;
    }
    return {
      ai_involvement: ai.value,
      rights_holder: this.form.querySelector("[name=rights_holder]").value.trim(),
      tags: this.form.querySelector("[name=tags]").value,
    };
  };

  // --- sending ---------------------------------------------------------------------------------

  Uploader.prototype.start = function () {
    if (this.busy || this.started) return;
    this.showFormError("");
    var declared = this.declarations();
    if (!declared) return;

    var self = this;
    this.busy = true;
    this.lock(true);
    this.submitLabel.textContent = "Starting…";
    this.request("POST", this.form.dataset.batchUrl, JSON.stringify({ expected_files: this.items.length }))
      .then(function (answer) {
        if (answer.status !== 201 || !answer.body || !answer.body.id) {
          throw new Error(errorText(answer.body, answer.status));
        }
        self.started = true;
        self.batchId = answer.body.id;
        self.render();
        self.zone.hidden = true; // this batch is fixed now; "Upload more" starts another
        self.overall.hidden = false;
        self.submitLabel.textContent = "Uploading…";
        self.updateOverall();
        return self.sendAll(declared);
      })
      .then(function () { return self.reportNotReceived(); })
      .then(function () { self.finish(); })
      .catch(function (error) {
        self.busy = false;
        self.lock(false);
        self.render();
        self.showFormError("The upload could not start: " + (error && error.message ? error.message : "no answer from the server.") + " Please try again.");
      });
  };

  // Files that got no answer (or a server error) are told to the batch, so that its page
  // counts them as done and says to upload them again, instead of waiting for them forever.
  // Best effort: if this fails too, the batch page still says which files have not arrived.
  Uploader.prototype.reportNotReceived = function () {
    var names = this.items.filter(function (item) { return item.notReceived; })
      .map(function (item) { return item.file.name; });
    if (!names.length) return Promise.resolve();
    var url = this.form.dataset.batchUrl + this.batchId + "/";
    return this.request("POST", url, JSON.stringify({ not_received: names }))
      .catch(function () { return null; });
  };

  // A JSON request with the session's CSRF token; resolves {status, body}, rejects on no answer.
  Uploader.prototype.request = function (method, url, json) {
    var token = csrfToken(this.form);
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("Content-Type", "application/json");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.onload = function () { resolve({ status: xhr.status, body: parseJson(xhr.responseText) }); };
      xhr.onerror = function () { reject(new Error("the connection failed.")); };
      xhr.send(json);
    });
  };

  Uploader.prototype.lock = function (locked) {
    this.form.querySelectorAll("input, button, textarea, select").forEach(function (control) {
      if (control.type !== "hidden") control.disabled = locked;
    });
    this.zone.classList.toggle("is-disabled", locked);
  };

  Uploader.prototype.sendAll = function (declared) {
    var self = this;
    var next = 0;
    var active = 0;
    var limit = parseInt(this.form.dataset.concurrency, 10) || CONCURRENCY;
    return new Promise(function (resolve) {
      function pump() {
        if (next >= self.items.length && active === 0) { resolve(); return; }
        while (active < limit && next < self.items.length) {
          var item = self.items[next];
          next += 1;
          active += 1;
          self.sendOne(item, declared).then(function () {
            active -= 1;
            self.updateOverall();
            pump();
          });
        }
      }
      pump();
    });
  };

  Uploader.prototype.sendOne = function (item, declared) {
    var self = this;
    var data = new FormData();
    data.append("file", item.file, item.file.name);
    data.append("title", item.title.value.trim());
    data.append("ai_involvement", declared.ai_involvement);
    data.append("rights_confirmed", "true");
    data.append("rights_holder", declared.rights_holder);
    data.append("tags", declared.tags);
    data.append("batch", String(this.batchId));

    this.setState(item, "uploading", "Uploading… 0%");
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      // The batch and file name ride outside the body too, so that a refusal made before the
      // body is read (too large) can still be written down on the batch page.
      xhr.open("POST", self.form.dataset.workUrl + "?batch=" + encodeURIComponent(self.batchId));
      xhr.setRequestHeader("X-Upload-Filename", encodeURIComponent(item.file.name));
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrfToken(self.form));
      xhr.upload.onprogress = function (event) {
        if (!event.lengthComputable) return;
        item.loaded = Math.min(item.file.size, Math.round(item.file.size * event.loaded / event.total));
        var percent = Math.round(100 * event.loaded / event.total);
        self.setBar(item, percent);
        if (item.state === "uploading") item.status.textContent = "Uploading… " + percent + "%";
        self.updateOverall();
      };
      xhr.upload.onload = function () {
        item.loaded = item.file.size;
        self.setState(item, "checking", "Sent. Checking the file…");
        self.updateOverall();
      };
      xhr.onload = function () {
        var body = parseJson(xhr.responseText);
        item.loaded = item.file.size;
        if (xhr.status === 201 && body) {
          self.setState(item, "uploaded", "Uploaded as “" + body.title + "”", body.id);
        } else if (xhr.status === 200 && body && body.duplicate) {
          self.setState(item, "duplicate", "Already uploaded — existing work", body.id);
        } else {
          item.code = body && body.code;
          item.answered = true;
          // A 5xx kept nothing and wrote nothing down: the batch hears of it from us.
          item.notReceived = xhr.status >= 500;
          if (body && body.fields && body.fields.title) {
            item.title.classList.add("is-invalid");
            item.title.setAttribute("aria-invalid", "true");
          }
          self.setState(item, "refused", errorText(body, xhr.status));
        }
        resolve();
      };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () {
        item.loaded = item.file.size;
        item.notReceived = true;
        self.setState(item, "failed",
          "The connection closed before the server answered, so this file was not uploaded." +
          " Check your connection and try it again.");
        resolve();
      };
      xhr.send(data);
    });
  };

  var STATES = {
    uploading: { icon: "bi-arrow-up-circle", tone: "text-body-secondary", bar: "" },
    checking: { icon: "bi-hourglass-split", tone: "text-body-secondary", bar: "progress-bar-striped progress-bar-animated" },
    uploaded: { icon: "bi-check-circle-fill", tone: "text-success", bar: "bg-success" },
    duplicate: { icon: "bi-files", tone: "text-info-emphasis", bar: "bg-info" },
    refused: { icon: "bi-x-circle-fill", tone: "text-danger", bar: "bg-danger" },
    failed: { icon: "bi-exclamation-triangle-fill", tone: "text-warning-emphasis", bar: "bg-warning" },
  };

  Uploader.prototype.setBar = function (item, percent) {
    item.bar.style.width = percent + "%";
    item.progress.setAttribute("aria-valuenow", String(percent));
  };

  Uploader.prototype.setState = function (item, state, message, workId) {
    var look = STATES[state];
    item.state = state;
    item.row.dataset.state = state;
    item.progress.hidden = false;
    item.bar.className = "progress-bar " + look.bar;
    if (state !== "uploading") this.setBar(item, 100);
    item.icon.replaceChildren(icon(look.icon));
    item.icon.className = "upload-icon " + look.tone;
    item.status.className = "small upload-status " + (state === "refused" || state === "failed" ? look.tone : "text-body-secondary");
    item.status.replaceChildren(document.createTextNode(message));
    if (workId) {
      var link = el("a", "ms-2", state === "duplicate" ? "Open it" : "Open");
      link.href = this.form.dataset.workPage.replace(/\/0\/$/, "/" + workId + "/");
      item.status.appendChild(link);
    }
    if (state === "refused" && item.code) {
      var code = el("code", "ms-2 small text-body-secondary", item.code);
      item.status.appendChild(code);
    }
    if (["uploaded", "duplicate", "refused", "failed"].indexOf(state) >= 0) {
      // Keep the result, drop the bar: the row's icon and text now say it all.
      item.progress.hidden = true;
    }
  };

  Uploader.prototype.updateOverall = function () {
    var total = 0;
    var loaded = 0;
    var finished = 0;
    this.items.forEach(function (item) {
      total += item.file.size || 1;
      loaded += item.file.size ? item.loaded : (item.state === "ready" ? 0 : 1);
      if (["uploaded", "duplicate", "refused", "failed"].indexOf(item.state) >= 0) finished += 1;
    });
    var percent = total ? Math.round(100 * loaded / total) : 0;
    if (finished === this.items.length) percent = 100;
    var bar = this.overall.querySelector(".progress-bar");
    bar.style.width = percent + "%";
    this.overall.querySelector("[data-overall-bar]").setAttribute("aria-valuenow", String(percent));
    this.overall.querySelector("[data-overall-count]").textContent =
      finished + " of " + this.items.length + " sent";
    this.overall.querySelector("[data-overall-label]").textContent =
      finished === this.items.length ? "All files sent" : "Uploading " + plural(this.items.length, "file", "files") + "…";
  };

  Uploader.prototype.finish = function () {
    this.busy = false;
    var count = function (self, states) {
      return self.items.filter(function (item) { return states.indexOf(item.state) >= 0; }).length;
    };
    var uploaded = count(this, ["uploaded"]);
    var duplicates = count(this, ["duplicate"]);
    var refused = count(this, ["refused", "failed"]);
    var accepted = uploaded + duplicates;
    var batchPage = this.form.dataset.batchPage.replace(/\/0\/$/, "/" + this.batchId + "/");

    var done = this.form.querySelector("[data-done]");
    var parts = [];
    if (uploaded) parts.push(plural(uploaded, "new work", "new works"));
    if (duplicates) parts.push(plural(duplicates, "file was", "files were") + " already in your works");
    if (refused) parts.push(plural(refused, "file was", "files were") + " not accepted (reasons above)");
    var title;
    var tone;
    var iconName;
    if (!refused) {
      title = accepted === 1 ? "Your file is uploaded" : "All " + accepted + " files are uploaded";
      tone = "alert-success";
      iconName = "bi-check-circle-fill text-success";
    } else if (accepted) {
      title = accepted + " of " + this.items.length + " files uploaded";
      tone = "alert-warning";
      iconName = "bi-exclamation-triangle-fill text-warning-emphasis";
    } else {
      title = "None of the files were accepted";
      tone = "alert-danger";
      iconName = "bi-x-circle-fill text-danger";
    }
    done.classList.add(tone);
    done.querySelector("[data-done-icon]").className = "bi fs-4 lh-1 " + iconName;
    done.querySelector("[data-done-title]").textContent = title;
    done.querySelector("[data-done-text]").textContent = parts.join("; ") + "." +
      (accepted ? " Follow their processing on the batch page." : "");
    var link = done.querySelector("[data-batch-link]");
    link.href = batchPage;
    var again = el("a", "btn btn-outline-secondary btn-sm", "Upload more");
    again.href = window.location.pathname;
    done.querySelector("[data-done-actions]").appendChild(again);
    done.hidden = false;
    this.submitLabel.textContent = "Sent";

    if (!refused) {
      // Everything went in: go on to watch the processing.
      link.firstChild.textContent = "Opening the batch page… ";
      window.setTimeout(function () { window.location.assign(batchPage); }, 1200);
    } else {
      link.focus();
    }
  };

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("uploader");
    if (form) new Uploader(form);
  });
})();
