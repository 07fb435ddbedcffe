// Herald's progressive enhancements. Every page works without them.
(function () {
  "use strict";
  // Ask before destructive actions (forms with class "confirm").
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.classList && f.classList.contains("confirm") && !window.confirm(f.getAttribute("data-confirm") || "Are you sure?")) {
      e.preventDefault();
      return;
    }
    // A button of a form with several actions may ask on its own.
    var b = e.submitter;
    if (b && b.hasAttribute("data-confirm") && !window.confirm(b.getAttribute("data-confirm"))) {
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
  // Copy buttons (hidden without script): the clipboard API where the page
  // may use it (a secure context), else selecting the text and the older
  // copy command.
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    var target = document.getElementById(b.getAttribute("data-copy"));
    if (!target) return;
    b.hidden = false;
    var label = b.textContent;
    var done = function (ok) {
      b.textContent = ok ? "Copied" : "Press Ctrl+C to copy";
      setTimeout(function () { b.textContent = label; }, 2000);
    };
    b.addEventListener("click", function (e) {
      e.preventDefault();
      var text = target.value !== undefined ? target.value : target.textContent;
      var fallback = function () {
        var ok = false;
        if (target.select) {
          target.focus();
          target.select();
        } else {
          var r = document.createRange();
          r.selectNodeContents(target);
          var sel = window.getSelection();
          sel.removeAllRanges();
          sel.addRange(r);
        }
        try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
        done(ok);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
      } else {
        fallback();
      }
    });
  });
})();
