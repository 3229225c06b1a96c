// Small page behaviours, no framework: copy buttons, and the role-dependent sign-up fields.
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
