// Destruction attestation: the statement preview follows what is typed and the chosen file, so
// the owner reads the exact text they sign before signing it.
(function () {
  "use strict";
  var form = document.getElementById("attestation-form");
  var preview = document.getElementById("statement-preview");
  if (!form || !preview) return;

  function update() {
    var file = form.evidence.files && form.evidence.files[0];
    var text = file ? preview.dataset.withFile : preview.dataset.plain;
    var date = form.destroyed_on.value, method = form.method.value.trim();
    if (date) { text = text.replace("⟨date⟩", date); }
    if (method) { text = text.replace("⟨method⟩", method); }
    if (file) { text = text.replace("⟨file name⟩", file.name); }
    preview.textContent = text;
  }

  ["input", "change"].forEach(function (kind) { form.addEventListener(kind, update); });
  update();
})();
