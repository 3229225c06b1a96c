// Small page behaviours, no framework, hooked to data attributes: the pages carry no inline
// script or event handler, which the Content-Security-Policy refuses (README, "Security").
// Copy buttons, confirmations, print, sorting at once, and the role-dependent sign-up fields.
(function () {
  "use strict";

  // <button data-copy-target="#id"> copies the text (or value) of #id to the clipboard.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy-target"));
    if (!source || !navigator.clipboard) return;
    var text = "value" in source ? source.value : source.textContent;
    navigator.clipboard.writeText(text.trim()).then(function () {
      var label = button.querySelector("[data-copy-label]") || button;
      var before = label.textContent;
      label.textContent = "Copied";
      setTimeout(function () { label.textContent = before; }, 2000);
    });
  });

  // <form data-confirm="Question?"> asks before it is sent; Cancel sends nothing. Capturing on
  // the document runs before any handler on the form itself (htmx's included).
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // <button data-print> prints the page.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });

  // <select data-autosubmit> sends its form when changed (a <noscript> button does it otherwise).
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]") && event.target.form) event.target.form.requestSubmit();
  });

  // <form data-omit-empty> leaves empty fields out of the address, so it stays short enough to
  // read and share.
  document.addEventListener("formdata", function (event) {
    if (!event.target.matches("form[data-omit-empty]")) return;
    Array.from(event.formData.keys()).forEach(function (name) {
      var kept = event.formData.getAll(name).filter(function (value) { return value !== ""; });
      event.formData.delete(name);
      kept.forEach(function (value) { event.formData.append(name, value); });
    });
  });

  // A live status marker (data-status-watch, rendered while the status may still change) that
  // htmx swaps in with another status reloads the page, to show what the new status means.
  document.addEventListener("DOMContentLoaded", function () {
    var watched = Array.prototype.map.call(document.querySelectorAll("[data-status-watch][id]"), function (el) {
      return { id: el.id, status: el.dataset.status };
    });
    if (!watched.length) return;
    document.addEventListener("htmx:afterSettle", function () {
      var changed = watched.some(function (w) {
        var el = document.getElementById(w.id);
        return el && el.dataset.status !== w.status;
      });
      if (changed) window.location.reload();
    });
  });

  // Sign-up: show "Public name" to creators and "Team name" to AI teams only.
  // Elements marked data-role-only="creator|buyer" follow the checked input[name=role].
  function syncRoleFields(form) {
    var checked = form.querySelector("input[name=role]:checked");
    var role = checked ? checked.value : null;
    form.querySelectorAll("[data-role-only]").forEach(function (el) {
      el.hidden = el.getAttribute("data-role-only") !== role;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      var radios = form.querySelectorAll("input[name=role]");
      if (!radios.length || !form.querySelector("[data-role-only]")) return;
      // A link such as /accounts/signup/?role=buyer preselects the role.
      var wanted = new URLSearchParams(window.location.search).get("role");
      if (wanted && !form.querySelector("input[name=role]:checked")) {
        radios.forEach(function (r) { if (r.value === wanted) r.checked = true; });
      }
      radios.forEach(function (r) {
        r.addEventListener("change", function () { syncRoleFields(form); });
      });
      syncRoleFields(form);
    });
  });
})();

// Licensing pages: the offer form (custom terms, the price floor per currency) and the works
// grid's selection for "Set terms for selected".
(function () {
  "use strict";

  function syncOfferForm(form) {
    var checked = form.querySelector("input[name=preset]:checked");
    var custom = form.querySelector("[data-custom-terms]");
    if (custom) custom.hidden = !checked || checked.value !== "custom";
    var select = form.querySelector("[data-currency-select]");
    var floor = form.querySelector("[data-floor-text]");
    if (select && floor) {
      var option = select.options[select.selectedIndex];
      if (option && option.dataset.floor) floor.textContent = option.dataset.floor;
    }
  }

  // Choosing "Custom terms" after a preset starts from that preset's terms, if none are set yet.
  function prefillCustom(form, from) {
    if (!from || !from.dataset.uses) return;
    var uses = form.querySelectorAll("input[name=uses]");
    if (Array.prototype.some.call(uses, function (u) { return u.checked; })) return;
    var wanted = from.dataset.uses.trim().split(/\s+/);
    uses.forEach(function (u) { u.checked = wanted.indexOf(u.value) !== -1; });
    var commercial = form.querySelector("input[name=commercial]");
    if (commercial) commercial.checked = from.dataset.commercial === "true";
    var attribution = form.querySelector("input[name=attribution_required]");
    if (attribution) attribution.checked = from.dataset.attribution === "true";
    var term = form.querySelector("input[name=term_months]");
    if (term) term.value = from.dataset.term;
    form.querySelectorAll("input[name=on_expiry]").forEach(function (r) { r.checked = r.value === from.dataset.expiry; });
  }

  // form[data-bulk-select] holds checkboxes named "work", or the name the attribute gives
  // (the review queue's "case_ids"); disabled ones are never selected.
  function selectionBoxes(form) {
    var name = form.getAttribute("data-bulk-select") || "work";
    return form.querySelectorAll('input[type=checkbox][name="' + name + '"]:not(:disabled)');
  }

  function syncSelection(form) {
    var boxes = selectionBoxes(form);
    var n = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
    var count = form.querySelector("[data-selected-count]");
    if (count) count.textContent = n === 0 ? "No works selected" : n + (n === 1 ? " work selected" : " works selected");
    var submit = form.querySelector("[data-bulk-submit]");
    if (submit) submit.disabled = n === 0;
    var all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = n > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-offer-form]").forEach(function (form) {
      var last = form.querySelector("input[name=preset]:checked");
      form.addEventListener("change", function (event) {
        var target = event.target;
        if (target.name === "preset") {
          if (target.value === "custom") prefillCustom(form, last);
          else last = target;
        }
        syncOfferForm(form);
      });
      syncOfferForm(form);
    });

    document.querySelectorAll("form[data-bulk-select]").forEach(function (form) {
      form.addEventListener("change", function (event) {
        if (event.target.matches("[data-select-all]")) {
          selectionBoxes(form).forEach(function (b) { b.checked = event.target.checked; });
        }
        syncSelection(form);
      });
      syncSelection(form);
    });
  });
})();
