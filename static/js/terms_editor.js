// The terms editor: show only the chosen pay model's terms. Without this script every pay
// model's fieldset stays visible, and the server ignores the ones not chosen.
document.addEventListener("DOMContentLoaded", () => {
  const select = document.querySelector(".terms-editor select[name=pay_model]");
  if (!select) return;
  const show = () => {
    document.querySelectorAll(".terms-editor [data-pay-model]").forEach((set) => {
      set.hidden = set.dataset.payModel !== select.value;
    });
  };
  select.addEventListener("change", show);
  show();
});
