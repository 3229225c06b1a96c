// The fee and net figures under the price on the offer forms (licensing/_offer_net.html). As
// the creator types a price or picks a currency, the server works them out with the ledger's
// own fee rule (licensing:offer_net) and its answer replaces the figures; nothing is computed
// here, so the page can never promise a net the ledger would not pay. Without this script the
// figures are those of the price the page was sent with.
//
// An audio or text work's form also has a rate box (per minute, per 1,000 words): a typed rate
// is sent with the work's id, the server answers with the price that rate sets
// (data-rate-price) and the script puts it in the price box. Typing a price empties the rate,
// so the two boxes never disagree.
(function () {
  "use strict";

  var DELAY = 250; // ms after the last keystroke, so typing "125" asks once, not three times

  function watch(box) {
    var form = box.closest("form");
    var price = form && form.querySelector("input[name=price]");
    var currency = form && form.querySelector("select[name=currency]");
    var rate = form && form.querySelector("input[name=rate]");
    if (!price || !currency) return;
    var timer = null;
    var asked = 0;

    function show(html) {
      box.innerHTML = html; // our own template, rendered and escaped by the server
      var priced = box.querySelector("[data-rate-price]");
      if (priced && rate && rate.value.trim()) price.value = priced.dataset.ratePrice;
    }

    function refresh() {
      var ticket = ++asked;
      var query = new URLSearchParams({ price: price.value, currency: currency.value });
      if (rate && rate.value.trim() && box.dataset.workId) {
        query.set("rate", rate.value);
        query.set("work", box.dataset.workId);
      }
      fetch(box.dataset.netUrl + "?" + query.toString(), {
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      })
        .then(function (response) {
          // A redirect is the sign-in page: the session ended.
          if (!response.ok || response.redirected) throw new Error("HTTP " + response.status);
          return response.text();
        })
        .then(function (html) {
          if (ticket === asked) show(html); // an answer to an older price is dropped
        })
        .catch(function () {
          if (ticket !== asked) return;
          var note = document.createElement("p");
          note.className = "small text-body-secondary mb-0";
          note.textContent = "The figures could not be updated; the next page shows your fee and what you net.";
          box.replaceChildren(note);
        });
    }

    price.addEventListener("input", function () {
      if (rate) rate.value = ""; // a price typed by hand is the price
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DELAY);
    });
    if (rate) {
      rate.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(refresh, DELAY);
      });
    }
    currency.addEventListener("change", function () {
      window.clearTimeout(timer);
      refresh();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-offer-net][data-net-url]").forEach(watch);
  });
})();
