// Every page: tables stacked into cards on a narrow screen keep their column names (each
// cell gets its header's text as data-label, shown by the CSS before the value).
(function () {
  "use strict";
  function labelCells(root) {
    for (const table of (root || document).querySelectorAll("table.table")) {
      // A header only screen readers see (such as "Actions") labels nothing on screen either.
      const heads = Array.from(table.querySelectorAll("thead th")).map((th) =>
        th.querySelector(".visually-hidden") && th.children.length === 1 ? "" : th.textContent.trim());
      if (!heads.length) continue;
      for (const row of table.querySelectorAll("tbody tr")) {
        Array.from(row.children).forEach((cell, i) => {
          if (cell.colSpan > 1 || cell.dataset.label !== undefined || !heads[i]) return;
          cell.dataset.label = heads[i];
        });
      }
    }
  }
  document.addEventListener("DOMContentLoaded", () => labelCells(document));
  document.addEventListener("htmx:afterSettle", () => labelCells(document));
  window.LLMscopeTables = { labelCells };
})();
