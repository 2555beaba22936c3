// The pipeline board's drag and drop and arrow keys (native HTML5, no library). Every card
// carries its own "Move to" form (a stage select and a button, posted with htmx, or as a
// plain form without JavaScript); dropping a card on a column or pressing ← / → on a
// focused card only chooses that form's stage and submits it, so the mouse, the keyboard
// and the button all take the same path. After the board is re-rendered, the moved card
// gets the focus back, so a keyboard user can keep moving it; Enter opens the card.
(() => {
  let movedCard = null;

  function moveCard(card, stageId) {
    const form = card.querySelector("form.move-form");
    const select = form && form.querySelector("select[name=stage_id]");
    if (!select || !stageId || select.value === stageId) return;
    select.value = stageId;
    movedCard = card.dataset.opportunityId;
    if (window.htmx) window.htmx.trigger(form, "submit");
    else form.submit();
  }

  document.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest(".board-card[draggable=true]");
    if (!card) return;
    event.dataTransfer.setData("text/plain", card.dataset.opportunityId);
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("dragging");
  });

  document.addEventListener("dragend", (event) => {
    const card = event.target.closest && event.target.closest(".board-card");
    if (card) card.classList.remove("dragging");
    document.querySelectorAll(".board-column.drop-target").forEach((c) => c.classList.remove("drop-target"));
  });

  document.addEventListener("dragover", (event) => {
    const column = event.target.closest && event.target.closest(".board-column[data-stage-id]");
    if (!column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("drop-target");
  });

  document.addEventListener("dragleave", (event) => {
    const column = event.target.closest && event.target.closest(".board-column");
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("drop-target");
  });

  document.addEventListener("drop", (event) => {
    const column = event.target.closest && event.target.closest(".board-column[data-stage-id]");
    if (!column) return;
    event.preventDefault();
    column.classList.remove("drop-target");
    const id = event.dataTransfer.getData("text/plain");
    const card = document.querySelector(`.board-card[data-opportunity-id="${CSS.escape(id)}"]`);
    if (card && card.closest(".board-column") !== column) moveCard(card, column.dataset.stageId);
  });

  document.addEventListener("keydown", (event) => {
    const card = event.target.classList && event.target.classList.contains("board-card") ? event.target : null;
    if (!card) return;
    if (event.key === "Enter") {  // Enter on a card opens the opportunity
      const link = card.querySelector(".card-title a");
      if (link) link.click();
      return;
    }
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    if (!card.hasAttribute("draggable")) return;
    const columns = Array.from(document.querySelectorAll(".board-column[data-stage-id]"));
    const index = columns.indexOf(card.closest(".board-column"));
    const next = columns[index + (event.key === "ArrowRight" ? 1 : -1)];
    if (!next) return;
    event.preventDefault();
    moveCard(card, next.dataset.stageId);
  });

  // A move through the card's own button also brings the focus back to the card.
  document.addEventListener("submit", (event) => {
    const card = event.target.closest && event.target.closest(".board-card");
    if (card) movedCard = card.dataset.opportunityId;
  });

  document.addEventListener("htmx:afterSettle", () => {
    if (!movedCard) return;
    const card = document.querySelector(`.board-card[data-opportunity-id="${CSS.escape(movedCard)}"]`);
    movedCard = null;
    if (card) card.focus();
  });
})();
