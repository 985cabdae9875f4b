/* The pass pages' behaviours (the Content-Security-Policy allows no inline code):
 *   [data-print]        a button that opens the print dialog
 *   [data-no-submit]    an input where Enter searches instead of submitting its form
 *   [data-zone-tree]    the zone picker: fold and unfold, a ticked street ticks all below it,
 *                       a branch shows when only part of it is ticked, and a line says what is chosen
 */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest && target.closest("[data-print]")) { window.print(); return; }
    var toggle = target.closest ? target.closest("ul.zone-tree .toggle") : null;
    if (toggle) {
      var item = toggle.closest("li");
      item.classList.toggle("open");
      toggle.setAttribute("aria-expanded", item.classList.contains("open") ? "true" : "false");
      return;
    }
    var tool = target.closest ? target.closest("[data-tree]") : null;
    if (tool) {
      var open = tool.getAttribute("data-tree") === "open";
      document.querySelectorAll("ul.zone-tree li.branch").forEach(function (li) {
        li.classList.toggle("open", open);
        li.querySelector(".toggle").setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches("[data-no-submit]")) {
      event.preventDefault();
      event.target.dispatchEvent(new Event("search", { bubbles: true }));
    }
  });

  function box(li) { return li.querySelector(":scope > .node input[type=checkbox]"); }
  function childItems(li) { return li.querySelectorAll(":scope > ul > li"); }

  // A branch is ticked when the person ticked it; partly ticked (indeterminate) when something
  // below it is ticked but it is not.
  function refreshBranch(li) {
    var own = box(li);
    var below = li.querySelectorAll(":scope > ul input[type=checkbox]");
    var some = false;
    below.forEach(function (b) { if (b.checked || b.indeterminate) some = true; });
    own.indeterminate = !own.checked && some;
  }

  function summarise(tree) {
    var line = document.getElementById("zone-summary");
    if (!line) return;
    var names = [];
    tree.querySelectorAll("input[type=checkbox]:checked").forEach(function (b) {
      var parent = b.closest("li").parentElement.closest("li");
      if (parent && box(parent).checked) return; // covered by the ticked street or community
      names.push(b.parentElement.textContent.trim());
    });
    line.classList.toggle("everywhere", names.length === 0);
    line.textContent = names.length ? tree.getAttribute("data-chosen") + " " + names.join("、")
      : tree.getAttribute("data-everywhere");
  }

  document.addEventListener("change", function (event) {
    var b = event.target;
    var tree = b.closest ? b.closest("[data-zone-tree]") : null;
    if (!tree || b.type !== "checkbox") return;
    var li = b.closest("li");
    // Everything below follows the box just changed.
    li.querySelectorAll(":scope > ul input[type=checkbox]").forEach(function (c) { c.checked = b.checked; c.indeterminate = false; });
    // Above it: a street stays ticked only while all below it is.
    for (var up = li.parentElement.closest("li"); up && tree.contains(up); up = up.parentElement.closest("li")) {
      if (!b.checked) box(up).checked = false;
      refreshBranch(up);
    }
    summarise(tree);
  });

  function init() {
    document.querySelectorAll("[data-zone-tree]").forEach(function (tree) {
      // Below a ticked branch everything is ticked (the form shown again after a mistake).
      tree.querySelectorAll("li.branch").forEach(function (li) {
        if (box(li).checked) li.querySelectorAll(":scope > ul input[type=checkbox]").forEach(function (c) { c.checked = true; });
      });
      var branches = Array.prototype.slice.call(tree.querySelectorAll("li.branch")).reverse();
      branches.forEach(refreshBranch);
      tree.classList.add("ready");
      var tools = tree.parentElement.querySelector(".tree-tools");
      if (tools) tools.hidden = false;
      summarise(tree);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
