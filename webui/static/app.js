// Herald's progressive enhancements. Every page works without them.
(function () {
  "use strict";
  // Ask before destructive actions (forms with class "confirm").
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.classList && f.classList.contains("confirm") && !window.confirm(f.getAttribute("data-confirm") || "Are you sure?")) {
      e.preventDefault();
    }
  });
  // A character counter under the compose box.
  document.querySelectorAll("textarea[data-max]").forEach(function (t) {
    var max = parseInt(t.getAttribute("data-max"), 10);
    var out = t.parentNode.querySelector(".counter");
    if (!out || !max) return;
    out.hidden = false;
    var update = function () {
      var left = max - t.value.length;
      out.textContent = left + " characters left";
      out.classList.toggle("over", left < 0);
    };
    t.addEventListener("input", update);
    update();
  });
  // Select invite links on focus, to copy them.
  document.querySelectorAll("input[readonly]").forEach(function (i) {
    i.addEventListener("focus", function () { i.select(); });
  });
  // Role colours (a style attribute would be refused by the page's CSP).
  document.querySelectorAll("[data-color]").forEach(function (el) {
    var c = el.getAttribute("data-color");
    if (/^#[0-9a-fA-F]{6}$/.test(c)) el.style.borderColor = el.style.color = c;
  });
})();
