// The inclusion proof page checks itself: the leaf's bytes hash to its leaf hash, the RFC 9162
// path leads from it to the root, the root is the one the checkpoint signs, and (where the
// browser has Ed25519) the checkpoint's signature verifies with a published verifier key.
// Same algorithm as tools/audit_proof_verify.py; the page's server code is not trusted.
document.addEventListener("DOMContentLoaded", async () => {
  const box = document.getElementById("proof-check");
  if (!box) return;
  const say = (ok, text) => {
    box.replaceChildren();
    const p = document.createElement("p");
    const badge = document.createElement("span");
    badge.className = ok ? "badge ok" : "badge bad";
    badge.textContent = ok ? "verified" : "does not verify";
    p.append(badge, " ", text);
    box.append(p);
    box.dataset.result = ok ? "verified" : "failed";
  };
  const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
  const unhex = (s) => new Uint8Array(s.match(/../g).map((b) => parseInt(b, 16)));
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const sha = async (...parts) => {
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    parts.forEach((p) => { all.set(p, at); at += p.length; });
    return new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  };
  const node = (l, r) => sha(new Uint8Array([1]), l, r);
  try {
    const doc = await (await fetch(box.dataset.proofUrl, { credentials: "same-origin" })).json();
    const leaf = b64(doc.leaf);
    let r = await sha(new Uint8Array([0]), leaf);
    if (hex(r) !== doc.leaf_hash) return say(false, "the leaf's bytes do not hash to its leaf hash.");
    let fn = doc.leaf_index;
    let sn = doc.tree_size - 1;
    for (const p of doc.path.map(unhex)) {
      if (sn === 0) return say(false, "the path is longer than the tree is deep.");
      if (fn % 2 === 1 || fn === sn) {
        r = await node(p, r);
        if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await node(r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    if (sn !== 0 || hex(r) !== doc.root) return say(false, "the path does not lead to the root.");
    const [text, signatures] = [doc.checkpoint.slice(0, doc.checkpoint.lastIndexOf("\n\n") + 1), doc.checkpoint.slice(doc.checkpoint.lastIndexOf("\n\n") + 2)];
    const lines = text.split("\n");
    if (Number(lines[1]) !== doc.tree_size || hex(b64(lines[2])) !== doc.root) {
      return say(false, "the checkpoint signs another tree.");
    }
    let signed = "the checkpoint's signature was not checked (this browser has no Ed25519).";
    try {
      const keys = (await (await fetch("/audit/checkpoints/?format=json")).json()).verifier_keys;
      for (const line of signatures.trim().split("\n")) {
        const raw = b64(line.slice(line.lastIndexOf(" ") + 1));
        for (const k of keys) {
          const parts = k.verifier_key.split("+");
          const id = parts[1];
          const encoded = parts.slice(2).join("+");
          if (hex(raw.slice(0, 4)) !== id) continue;
          const key = await crypto.subtle.importKey("raw", b64(encoded).slice(1), { name: "Ed25519" }, false, ["verify"]);
          const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, raw.slice(4), new TextEncoder().encode(text));
          if (!ok) return say(false, "the checkpoint's signature does not verify.");
          signed = `the checkpoint is signed by key ${k.key_id}.`;
        }
      }
    } catch (e) {
      // Ed25519 in WebCrypto is recent; without it the hashes above still hold.
    }
    say(true, `Leaf ${doc.leaf_index} is in the tree of ${doc.tree_size}; ${signed}`);
  } catch (e) {
    say(false, `the proof could not be read (${e}).`);
  }
});
