// Kantoor's only script besides htmx: "add a row" for repeatable form rows (contact details,
// addresses). It copies the formset's empty row from its <template> and counts it in
// TOTAL_FORMS; without JavaScript the form still offers one blank row.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-add-row]");
  if (!button) return;
  const prefix = button.dataset.addRow;
  const rows = button.closest("[data-rows]");
  const total = rows.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
  const index = Number(total.value);
  const html = rows.querySelector("template").innerHTML.replaceAll("__prefix__", String(index));
  rows.querySelector(".rows-body").insertAdjacentHTML("beforeend", html);
  total.value = String(index + 1);
  const first = rows.querySelector(".rows-body").lastElementChild.querySelector("input:not([type=checkbox]), select");
  if (first) first.focus();
});
// Close the global search results when clicking elsewhere or pressing Escape.
document.addEventListener("click", (event) => {
  const popup = document.getElementById("search-popup");
  if (popup && !event.target.closest(".global-search")) popup.innerHTML = "";
});
document.addEventListener("keydown", (event) => {
  const popup = document.getElementById("search-popup");
  if (event.key === "Escape" && popup) popup.innerHTML = "";
});
