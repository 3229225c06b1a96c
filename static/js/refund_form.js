// Staff refund form: ticking an item means "only these items", so the choice cannot be missed.
document.addEventListener("change", (event) => {
  const box = event.target.closest(".refund-form input[name=item_ids]");
  if (box && box.checked) {
    box.form.querySelector("input[name=scope][value=items]").checked = true;
  }
});
