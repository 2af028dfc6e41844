// The proof page checks a file (or the address) in the browser: its SHA-256 is computed with
// Web Crypto and compared with the output's hash on the page. Nothing is uploaded.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("file-check");
  if (!box) return;
  const expected = box.dataset.expected;
  const result = document.getElementById("file-check-result");
  const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
  const say = (ok, text) => {
    result.replaceChildren();
    const badge = document.createElement("span");
    badge.className = ok ? "badge ok" : "badge bad";
    badge.textContent = ok ? "matches" : "does not match";
    result.append(badge, " ", text);
    result.dataset.result = ok ? "match" : "mismatch";
  };
  const check = async (bytes, what) => {
    if (!window.crypto || !crypto.subtle) {
      result.textContent = "This browser cannot compute SHA-256 here (it needs https).";
      return;
    }
    const got = hex(await crypto.subtle.digest("SHA-256", bytes));
    say(got === expected, `${what}: sha256 ${got}.`);
  };
  const input = document.getElementById("file-check-input");
  const drop = document.getElementById("file-check-drop");
  const fromFile = (file) => file && file.arrayBuffer().then((b) => check(b, file.name));
  if (input) input.addEventListener("change", () => fromFile(input.files[0]));
  if (drop) {
    drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      fromFile(e.dataTransfer.files[0]);
    });
  }
  const address = document.getElementById("file-check-url");
  if (address) {
    document.getElementById("file-check-url-button").addEventListener("click", () =>
      check(new TextEncoder().encode(address.value.trim()), "The address"));
  }
});
