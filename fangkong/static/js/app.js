/* fangkong's page behaviours, wired by data attributes so that templates carry no inline code
 * (the Content-Security-Policy forbids inline handlers and inline scripts).
 *
 *   data-autosubmit            on a form control: a change submits its form
 *   data-confirm="question"    on a form: asks before it is submitted; on a link or button:
 *                              asks before it is followed or pressed
 *   data-toggle-text="other"   on a button: each click swaps its text with this one
 *                              (and flips aria-expanded when the button has it)
 *
 * A strip that scrolls sideways (the menu on a phone, a page's tabs) opens scrolled to its current
 * entry, so the page one is on is never hidden past the edge.
 *
 * Listeners sit on the document, so content that htmx swaps in later behaves the same.
 * For an htmx request use htmx's own hx-confirm; never hx-on (it needs eval, which the policy forbids).
 */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var control = event.target;
    if (!control.matches || !control.matches("[data-autosubmit]") || !control.form) return;
    // requestSubmit fires the submit event, so htmx and data-confirm see it like a click.
    if (control.form.requestSubmit) control.form.requestSubmit();
    else control.form.submit();
  });

  function declined(element) {
    var question = element.getAttribute("data-confirm");
    return question !== null && !window.confirm(question);
  }

  // Capturing at the document runs before any listener on the form itself (htmx's included),
  // so a declined confirmation stops the submission everywhere.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-confirm]") && declined(form)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("a[data-confirm], button[data-confirm]") : null;
    if (target && declined(target)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    var toggle = event.target.closest ? event.target.closest("[data-toggle-text]") : null;
    if (toggle) {
      var other = toggle.getAttribute("data-toggle-text");
      toggle.setAttribute("data-toggle-text", toggle.textContent);
      toggle.textContent = other;
      var expanded = toggle.getAttribute("aria-expanded");
      if (expanded !== null) toggle.setAttribute("aria-expanded", expanded === "true" ? "false" : "true");
    }
  }, true);

  function showCurrent() {
    var strips = document.querySelectorAll("nav.areas, nav.tabs");
    for (var i = 0; i < strips.length; i++) {
      var strip = strips[i];
      var current = strip.querySelector("a.active, a[aria-current]");
      if (!current || strip.scrollWidth <= strip.clientWidth) continue;
      var offset = current.getBoundingClientRect().left - strip.getBoundingClientRect().left;
      strip.scrollLeft += offset - (strip.clientWidth - current.offsetWidth) / 2;
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showCurrent);
  else showCurrent();
})();
