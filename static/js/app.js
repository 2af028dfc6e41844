// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // A table wider than the screen scrolls inside its own box (.table-wrap); a box that
  // scrolls is made reachable by keyboard and named after its caption or heading.
  const labelScrollingTables = () => {
    document.querySelectorAll(".table-wrap").forEach((wrap) => {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        if (!wrap.hasAttribute("tabindex")) {
          let heading = wrap.querySelector("caption");
          for (let el = wrap.previousElementSibling; !heading && el; el = el.previousElementSibling) {
            if (/^H[1-4]$/.test(el.tagName)) heading = el;
          }
          wrap.setAttribute("tabindex", "0");
          wrap.setAttribute("role", "region");
          wrap.setAttribute("aria-label", `${heading ? heading.textContent.trim() : "Table"} (scrolls sideways)`);
        }
      }
    });
  };
  labelScrollingTables();
  window.addEventListener("resize", labelScrollingTables);
  // Filters that fold on a phone: closed there, so the list starts on the first screen.
  if (window.matchMedia("(max-width: 40rem)").matches) {
    document.querySelectorAll("details[data-fold-narrow]").forEach((d) => { d.open = false; });
  }
  // "Select all" checkboxes for bulk actions: <input type="checkbox" data-select-all="name">
  document.querySelectorAll("[data-select-all]").forEach((box) => {
    box.addEventListener("change", () => {
      document
        .querySelectorAll(`input[type=checkbox][name="${box.dataset.selectAll}"]`)
        .forEach((item) => { item.checked = box.checked; });
    });
  });
  // Ask before irreversible actions: <button data-confirm="Withdraw from X?">
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (event) => {
      if (!window.confirm(el.dataset.confirm)) event.preventDefault();
    });
  });
});
