// Likely duplicates while filing a ticket: after a pause in typing the title, ask
// /tickets/similar/ for tickets of the chosen programme that look alike and list them.
// Without JavaScript the form's "Check for similar tickets first" button does the same.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("similar-tickets");
  const title = document.getElementById("id_title");
  const programme = document.getElementById("id_programme");
  if (!box || !title || !programme) return;
  const results = box.querySelector("[data-similar-results]");
  const PAUSE_MS = 500;
  let timer = null;
  let asked = "";

  const show = (tickets) => {
    results.replaceChildren();
    if (!tickets.length) {
      box.hidden = true;
      return;
    }
    const intro = document.createElement("p");
    intro.textContent = "If one of these is what you found, add a comment there instead of filing it again.";
    const list = document.createElement("ul");
    list.className = "similar-list";
    tickets.forEach((t) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = t.url;
      link.textContent = `#${t.id} ${t.title}`;
      const status = document.createElement("span");
      status.className = "muted";
      status.textContent = ` ${t.status}`;
      item.append(link, status);
      list.append(item);
    });
    results.append(intro, list);
    box.hidden = false;
  };

  const check = async () => {
    const text = title.value.trim();
    const query = new URLSearchParams({ programme: programme.value, title: text });
    if (text.length < 3 || !programme.value) {
      asked = ""; // the same title typed again is asked again
      show([]);
      return;
    }
    if (query.toString() === asked) return;
    asked = query.toString();
    try {
      const response = await fetch(`${box.dataset.url}?${query}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) return; // a refused or rate-limited check leaves the list as it was
      const data = await response.json();
      if (asked === query.toString()) show(data.tickets || []);
    } catch (error) {
      // Offline or the server is away: filing still works; there is nothing to suggest.
    }
  };

  const later = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, PAUSE_MS);
  };
  title.addEventListener("input", later);
  programme.addEventListener("change", later);
});
